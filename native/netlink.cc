// One NETLINK_ROUTE socket: open (with multicast groups), send bytes, a uv_poll that
// delivers every datagram ready as one batch (bytes packed in a JS buffer, lengths in a
// Uint32Array) with one call into JS, close. Messages are parsed and built in TypeScript
// (src/netlink); this file knows nothing of their contents.
#include <fcntl.h>
#include <linux/netlink.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <cassert>
#include <cerrno>
#include <cstring>
#include <vector>

#include "errors.h"
#include "netns.h"
#include "ring.h"

namespace np {
namespace {

const napi_type_tag kNetlinkTag = {0x6e65696768707278ull, 0x6e65746c696e6b00ull};
// A dump reply datagram is at most 32 KiB (NLMSG_GOODSIZE on large pages, rounded up);
// a recv() is only tried while this much room is left in the batch buffer.
constexpr size_t kMinRoom = 65536;

struct Netlink {
  int fd = -1;
  uint32_t portid = 0;
  bool closed = false;
  uv_poll_t* poll = nullptr;
  napi_env env = nullptr;
  Napi::FunctionReference onBatch;
  Napi::Reference<Napi::Value> self;    // keeps the handle alive while polling
  Napi::Reference<Napi::Value> bufRef;  // the batch buffer JS reads
  uint8_t* buf = nullptr;
  size_t bufLen = 0;
  uint32_t* lengths = nullptr;
  size_t maxCount = 0;
};

void ClosePoll(Netlink* n) {
  if (!n->poll) return;
  uv_poll_stop(n->poll);
  uv_close(reinterpret_cast<uv_handle_t*>(n->poll), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
  n->poll = nullptr;
}

void Release(Netlink* n) {
  ClosePoll(n);
  if (n->fd >= 0) close(n->fd);
  n->fd = -1;
  n->closed = true;
  n->onBatch.Reset();
  n->bufRef.Reset();
  n->buf = nullptr;
}

void Finalize(Napi::Env, Netlink* n) {
  Release(n);
  delete n;
}

Netlink* Unwrap(const Napi::CallbackInfo& info, bool allowClosed = false) {
  if (info.Length() < 1 || !info[0].IsExternal() || !info[0].As<Napi::External<Netlink>>().CheckTypeTag(&kNetlinkTag)) {
    ThrowType(info.Env(), "first argument must be a netlink handle");
    return nullptr;
  }
  Netlink* n = info[0].As<Napi::External<Netlink>>().Data();
  if (n->closed && !allowClosed) {
    Napi::Error e = Napi::Error::New(info.Env(), "netlink socket is closed");
    e.Set("code", Napi::String::New(info.Env(), "ERR_NETLINK_CLOSED"));
    e.ThrowAsJavaScriptException();
    return nullptr;
  }
  return n;
}

// nl_open(groups: number[], rcvbuf: number, netnsPath | '') -> { handle, portid }
Napi::Value NlOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsArray() || !info[1].IsNumber() || !info[2].IsString()) {
    return ThrowType(env, "nl_open(groups, rcvbuf, netns)");
  }
  Napi::Array groups = info[0].As<Napi::Array>();
  int rcvbuf = info[1].As<Napi::Number>().Int32Value();
  std::string netns = info[2].As<Napi::String>();
  NetnsGuard ns(netns);
  if (ns.err) return ThrowSys(env, "netns", netns, ns.err);
  // Non-blocking: the uv_poll tells when to read; never block the loop on recv().
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return ThrowSys(env, "socket", "NETLINK_ROUTE", errno);
  // SO_RCVBUFFORCE passes net.core.rmem_max with CAP_NET_ADMIN; a burst of route events
  // (a full BGP table) overflows the default and costs a resynchronisation (ENOBUFS).
  if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  }
  int one = 1;
  // Extended acks carry the kernel's reason text with an error; harmless when unsupported.
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  // Answers to a dump are sized to the buffer the kernel sees; strict checking makes it
  // refuse malformed requests instead of guessing (kernels >= 4.20; ignored before).
  setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof one);
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;  // nl_pid 0: the kernel assigns the port id
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
    int err = errno;
    close(fd);
    return ThrowSys(env, "bind", "NETLINK_ROUTE", err);
  }
  // ADD_MEMBERSHIP takes group numbers (any of them, past 32 too), nl_groups only a mask.
  for (uint32_t i = 0; i < groups.Length(); i++) {
    int g = groups.Get(i).As<Napi::Number>().Int32Value();
    if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &g, sizeof g) < 0) {
      int err = errno;
      close(fd);
      return ThrowSys(env, "add_membership", "group " + std::to_string(g), err);
    }
  }
  socklen_t len = sizeof sa;
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  Netlink* n = new Netlink;
  n->fd = fd;
  n->portid = sa.nl_pid;
  n->env = env;
  Napi::External<Netlink> handle = Napi::External<Netlink>::New(env, n, Finalize);
  handle.TypeTag(&kNetlinkTag);
  Napi::Object out = Napi::Object::New(env);
  out.Set("handle", handle);
  out.Set("portid", Napi::Number::New(env, n->portid));
  return out;
}

// nl_send(handle, bytes): one request (or several, packed) to the kernel.
Napi::Value NlSend(const Napi::CallbackInfo& info) {
  Netlink* n = Unwrap(info);
  if (!n) return info.Env().Undefined();
  if (info.Length() < 2 || !info[1].IsTypedArray()) return ThrowType(info.Env(), "nl_send(handle, bytes)");
  Napi::Uint8Array bytes = info[1].As<Napi::Uint8Array>();
  sockaddr_nl to{};
  to.nl_family = AF_NETLINK;
  ssize_t rc = sendto(n->fd, bytes.Data(), bytes.ByteLength(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  if (rc < 0) return ThrowSys(info.Env(), "sendto", "NETLINK_ROUTE", errno);
  return info.Env().Undefined();
}

// Reads datagrams until EAGAIN, the buffer or the length table is full. Returns the count;
// *err is 0, or the errno that stopped the reading (ENOBUFS: the kernel dropped messages).
uint32_t ReadBatch(Netlink* n, int* err) {
  size_t off = 0;
  uint32_t count = 0;
  *err = 0;
  while (count < n->maxCount && n->bufLen - off >= kMinRoom) {
    ssize_t rc = recv(n->fd, n->buf + off, n->bufLen - off, MSG_DONTWAIT | MSG_TRUNC);
    if (rc < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) *err = errno;
      break;
    }
    if (static_cast<size_t>(rc) > n->bufLen - off) {
      *err = EMSGSIZE;  // cannot happen with kMinRoom >= the kernel's datagram size
      break;
    }
    n->lengths[count++] = static_cast<uint32_t>(rc);
    off += (static_cast<size_t>(rc) + 3) & ~size_t(3);
  }
  return count;
}

void OnPoll(uv_poll_t* handle, int status, int) {
  Netlink* n = static_cast<Netlink*>(handle->data);
  if (!n || n->closed) return;
  Napi::Env env(n->env);
  Napi::HandleScope scope(env);
  // An overrun sets the socket's error, which epoll reports as POLLERR; libuv turns that
  // into UV_EBADF and stops the handle. recv() then tells the real error (ENOBUFS) and
  // clears it, and polling is started again below.
  bool restart = status < 0;
  for (int round = 0; round < 8; round++) {
    int err = 0;
    uint32_t count = ReadBatch(n, &err);
    if (count == 0 && err == 0) {
      if (status < 0 && round == 0) err = -status;  // a poll error recv() did not explain
      else break;
    }
    Napi::Value code = err ? Napi::Value(SysError(env, "recv", "NETLINK_ROUTE", err).Value()) : env.Null();
    n->onBatch.MakeCallback(env.Global(), {Napi::Number::New(env, count), code});
    if (env.IsExceptionPending()) {
      napi_fatal_exception(env, env.GetAndClearPendingException().Value());
      return;
    }
    // ENOBUFS only says messages were lost; the socket reads on. Anything else stops it.
    if (err && err != ENOBUFS) {
      if (!n->closed && n->poll) uv_poll_stop(n->poll);
      return;
    }
    if (n->closed || n->onBatch.IsEmpty()) return;
  }
  if (restart && n->poll) uv_poll_start(n->poll, UV_READABLE, OnPoll);
}

// nl_start(handle, buf: Uint8Array, lengths: Uint32Array, onBatch(count, error|null))
Napi::Value NlStart(const Napi::CallbackInfo& info) {
  Netlink* n = Unwrap(info);
  Napi::Env env = info.Env();
  if (!n) return env.Undefined();
  if (info.Length() < 4 || !info[1].IsTypedArray() || !info[2].IsTypedArray() || !info[3].IsFunction()) {
    return ThrowType(env, "nl_start(handle, buf, lengths, onBatch)");
  }
  Napi::Uint8Array buf = info[1].As<Napi::Uint8Array>();
  Napi::Uint32Array lengths = info[2].As<Napi::Uint32Array>();
  if (buf.ByteLength() < kMinRoom) return ThrowType(env, "nl_start: the batch buffer must hold at least 65536 bytes");
  if (lengths.ElementLength() < 1) return ThrowType(env, "nl_start: the length table must hold at least one entry");
  n->buf = buf.Data();
  n->bufLen = buf.ByteLength();
  n->bufRef = Napi::Reference<Napi::Value>::New(info[1], 1);
  n->lengths = lengths.Data();
  n->maxCount = lengths.ElementLength();
  n->onBatch = Napi::Persistent(info[3].As<Napi::Function>());
  if (n->self.IsEmpty()) n->self = Napi::Reference<Napi::Value>::New(info[0], 1);
  if (!n->poll) {
    n->poll = new uv_poll_t;
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    int rc = uv_poll_init(loop, n->poll, n->fd);
    assert(rc == 0);
    (void)rc;
    n->poll->data = n;
  }
  int rc = uv_poll_start(n->poll, UV_READABLE, OnPoll);
  if (rc) return ThrowSys(env, "poll", "NETLINK_ROUTE", -rc);
  return env.Undefined();
}

// nl_close(handle): stops polling and closes the socket; idempotent.
Napi::Value NlClose(const Napi::CallbackInfo& info) {
  Netlink* n = Unwrap(info, true);
  if (!n) return info.Env().Undefined();
  Release(n);
  if (!n->self.IsEmpty()) n->self.Reset();
  return info.Env().Undefined();
}

}  // namespace

void InitNetlink(Napi::Env env, Napi::Object exports) {
  exports.Set("nl_open", Napi::Function::New(env, NlOpen));
  exports.Set("nl_send", Napi::Function::New(env, NlSend));
  exports.Set("nl_start", Napi::Function::New(env, NlStart));
  exports.Set("nl_close", Napi::Function::New(env, NlClose));
}

}  // namespace np
