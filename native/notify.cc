// sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET. Node has no unix
// datagram sockets, so this is the one native call; what is sent, and when, is decided
// in TypeScript (src/daemon/sdnotify.ts).
#include "errors.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cstddef>
#include <string>

namespace np {

namespace {

// notify(socketPath, message) -> undefined. A path starting with '@' is in the abstract
// namespace (systemd's own convention). Throws with .code = errno name, as ring calls do.
Napi::Value Notify(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString()) {
    return ThrowType(env, "notify(socketPath, message)");
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  std::string msg = info[1].As<Napi::String>().Utf8Value();
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  // The abstract name is not NUL-terminated: its length is the address length.
  if (path.empty() || path.size() >= sizeof(addr.sun_path) || (path[0] != '/' && path[0] != '@')) {
    return ThrowType(env, "notify: socketPath must be an absolute path or '@name' shorter than 108 bytes");
  }
  path.copy(addr.sun_path, path.size());
  if (path[0] == '@') addr.sun_path[0] = '\0';
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + (path[0] == '@' ? 0 : 1));
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ThrowSys(env, "socket", "NOTIFY_SOCKET", errno);
  ssize_t n = sendto(fd, msg.data(), msg.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr), len);
  int err = errno;
  close(fd);
  if (n < 0) return ThrowSys(env, "sendto", path, err);
  return env.Undefined();
}

}  // namespace

void InitNotify(Napi::Env env, Napi::Object exports) {
  exports.Set("notify", Napi::Function::New(env, Notify, "notify"));
}

}  // namespace np
