// Load generator: a native thread that fills a ring's TX slots with copies of template
// frames (ARP requests, Neighbor Solicitations), varies sender and/or target per frame,
// paces to a rate or runs flat out, and records when each frame was handed to the kernel.
// Used by bench/ring.ts (and issue 7's load tests). The ring it runs on should carry
// REJECT_ALL_FILTER: it is a TX-only ring while the generator owns it.
//
// Bench-only, so the Ring knows nothing of it: a Generator is its own object (its own
// handle, state and thread) that borrows the ring's TX slots through the Ring's generic
// TxLease (ring.h) and hands them back with its new head and sent count.
//
// Variation: frame i uses sender + (i % varySender) and target + (i % varyTarget), added
// to the last 32 bits of the address (IPv4 address or low word of IPv6), and to the low
// 16 bits of the sender MAC (Ethernet source and ARP sha / NS source link-layer option).
// For NS the solicited-node destination follows the target and the ICMPv6 checksum is
// recomputed. With varySender = count, the reply's target address encodes the sequence.
#include "ring.h"
#include "errors.h"

#include <sys/socket.h>
#include <time.h>
#include <cassert>
#include <algorithm>
#include <cstring>
#include <thread>
#include <vector>

namespace np {

// The TX ring as the generator thread sees it: copied from the Ring at start, so the
// thread never reads the Ring itself.
struct TxSlots {
  int fd;
  uint8_t* base;  // first TX slot
  uint32_t frameSize, frames, statusOff, lenOff, dataOff;
  bool linear;
  uint8_t* slot(uint32_t i) const { return base + static_cast<size_t>(i) * frameSize; }
  uint32_t* status(uint32_t i) const { return reinterpret_cast<uint32_t*>(slot(i) + statusOff); }
  uint32_t* len(uint32_t i) const { return reinterpret_cast<uint32_t*>(slot(i) + lenOff); }
  uint8_t* data(uint32_t i) const { return slot(i) + dataOff; }
};

struct Generator final : TxLease {
  Ring* ring;               // lent us its TX ring; only touched on the JS thread
  std::string ifname;
  TxSlots tx;
  uint32_t head;            // next TX slot (starts at the ring's head)
  std::vector<uint8_t> templates;
  std::vector<uint32_t> offsets, lengths;
  uint64_t count;
  double ratePps;
  uint32_t varySender, varyTarget, batch;
  double* sendTimes;  // microseconds, CLOCK_REALTIME (the clock of ring timestamps)
  Napi::Reference<Napi::Value> sendTimesRef;
  Napi::Reference<Napi::Value> ringRef;  // keeps the Ring alive until Finish
  std::atomic<bool> cancel{false};
  std::thread thread;
  Napi::ThreadSafeFunction done;
  Napi::Promise::Deferred deferred;
  uint64_t sent = 0;
  double elapsedNs = 0, startUs = 0;
  int err = 0;
  bool leased = false;  // the TX ring is still ours
  int refs = 2;         // the JS handle and the pending Finish; JS thread only
  explicit Generator(Napi::Env env) : deferred(env) {}
  void End() override;
  void GiveBack();
  void Unref() {
    if (--refs == 0) delete this;
  }
};

namespace {

uint64_t NowNs(clockid_t clk) {
  timespec ts;
  clock_gettime(clk, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
}

uint32_t Get32(const uint8_t* p) { return (uint32_t(p[0]) << 24) | (p[1] << 16) | (p[2] << 8) | p[3]; }
void Put32(uint8_t* p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }
void Add16(uint8_t* p, uint32_t k) {
  uint32_t v = ((p[0] << 8) | p[1]) + k;
  p[0] = v >> 8;
  p[1] = v;
}

// ICMPv6 checksum over the pseudo-header (src, dst, length, next header 58) and payload.
uint16_t Icmp6Checksum(const uint8_t* ip6, uint32_t plen) {
  uint64_t sum = 0;
  for (int i = 8; i < 40; i += 2) sum += (ip6[i] << 8) | ip6[i + 1];
  sum += plen + 58;
  const uint8_t* icmp = ip6 + 40;
  for (uint32_t i = 0; i + 1 < plen; i += 2) sum += (i == 2) ? 0 : ((icmp[i] << 8) | icmp[i + 1]);
  if (plen & 1) sum += icmp[plen - 1] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

void Vary(uint8_t* f, uint32_t len, uint32_t ks, uint32_t kt) {
  if (len < 14) return;
  uint32_t l3 = 14;
  uint16_t type = (f[12] << 8) | f[13];
  if ((type == 0x8100 || type == 0x88a8) && len >= 18) {
    type = (f[16] << 8) | f[17];
    l3 = 18;
  }
  if (type == 0x0806 && len >= l3 + 28) {
    uint8_t* arp = f + l3;
    if (ks) {
      Add16(f + 10, ks);
      Add16(arp + 12, ks);
      Put32(arp + 14, Get32(arp + 14) + ks);
    }
    if (kt) Put32(arp + 24, Get32(arp + 24) + kt);
  } else if (type == 0x86dd && len >= l3 + 40 + 24) {
    uint8_t* ip6 = f + l3;
    uint32_t plen = (ip6[4] << 8) | ip6[5];
    if (l3 + 40 + plen > len) return;
    uint8_t* icmp = ip6 + 40;
    if (ks) {
      Add16(f + 10, ks);
      Put32(ip6 + 20, Get32(ip6 + 20) + ks);
      if (plen >= 32 && icmp[24] == 1 && icmp[25] == 1) Add16(icmp + 30, ks);  // source link-layer option
    }
    if (kt) {
      Put32(icmp + 20, Get32(icmp + 20) + kt);
      if (ip6[24] == 0xff) {  // solicited-node destination follows the target's low 24 bits
        memcpy(ip6 + 24 + 13, icmp + 8 + 13, 3);
        memcpy(f + 3, icmp + 8 + 13, 3);
      }
    }
    uint16_t c = Icmp6Checksum(ip6, plen);
    icmp[2] = c >> 8;
    icmp[3] = c & 0xff;
  }
}

// Tells a generator handle from a ring handle (both are Externals).
const napi_type_tag kGeneratorTag = {0x6e65696768707278ull, 0x67656e657261746full};

void Run(Generator* g) {
  const TxSlots& tx = g->tx;
  uint64_t t0 = NowNs(CLOCK_MONOTONIC);
  g->startUs = NowNs(CLOCK_REALTIME) / 1000.0;
  uint64_t i = 0, kicked = 0;
  uint32_t head = g->head;
  size_t nt = g->lengths.size();
  auto kick = [&]() {
    if (kicked == i) return;
    // Stamped before the kick: on a veth the whole receive path (and a kernel proxy's
    // reply) can run inside this sendto().
    if (g->sendTimes) {
      double us = NowNs(CLOCK_REALTIME) / 1000.0;
      for (uint64_t j = kicked; j < i; j++) g->sendTimes[j] = us;
    }
    if (sendto(tx.fd, nullptr, 0, MSG_DONTWAIT, nullptr, 0) < 0 && errno != EAGAIN && errno != ENOBUFS) {
      g->err = errno;
    }
    kicked = i;
  };
  // Paced runs go out in bursts of about 100 us worth of frames (at most `batch`): one
  // kick and one sleep per burst instead of a spin and a syscall per frame.
  uint64_t burst = 1;
  if (g->ratePps > 0) burst = std::max<uint64_t>(1, std::min<uint64_t>(g->batch, static_cast<uint64_t>(g->ratePps / 10000)));
  else burst = g->batch;
  while (i < g->count && !g->cancel.load(std::memory_order_relaxed) && !g->err) {
    if (g->ratePps > 0 && i % burst == 0) {
      kick();
      uint64_t due = t0 + static_cast<uint64_t>(static_cast<double>(i) * 1e9 / g->ratePps);
      uint64_t now = NowNs(CLOCK_MONOTONIC);
      if (now < due) {
        if (due - now > 60000) {
          timespec ts{0, static_cast<long>(due - now - 55000)};  // default timer slack is 50 us
          nanosleep(&ts, nullptr);
        }
        while (NowNs(CLOCK_MONOTONIC) < due) {
        }
      }
    }
    if (__atomic_load_n(tx.status(head), __ATOMIC_ACQUIRE) != TP_STATUS_AVAILABLE) {
      kick();  // ring full: let the kernel drain it
      std::this_thread::yield();
      continue;
    }
    size_t t = i % nt;
    uint32_t len = g->lengths[t];
    uint8_t* data = tx.data(head);
    memcpy(data, g->templates.data() + g->offsets[t], len);
    Vary(data, len, g->varySender ? static_cast<uint32_t>(i % g->varySender) : 0,
         g->varyTarget ? static_cast<uint32_t>(i % g->varyTarget) : 0);
    SetTxFrame(data, tx.len(head), len, tx.linear);
    __atomic_store_n(tx.status(head), TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
    head = (head + 1) % tx.frames;
    i++;
    if (i - kicked >= burst) kick();
  }
  kick();
  g->head = head;
  g->sent = i;
  g->elapsedNs = static_cast<double>(NowNs(CLOCK_MONOTONIC) - t0);
}

// Settles the promise on the JS thread once the run is over (or was ended by ring close).
void Finish(Napi::Env env, Generator* g) {
  if (g->thread.joinable()) g->thread.join();
  g->GiveBack();
  if (g->err) {
    Napi::Error e = SysError(env, "send", g->ifname, g->err);
    e.Set("sent", Napi::Number::New(env, static_cast<double>(g->sent)));
    g->deferred.Reject(e.Value());
  } else {
    Napi::Object res = Napi::Object::New(env);
    res.Set("sent", Napi::Number::New(env, static_cast<double>(g->sent)));
    res.Set("elapsedNs", Napi::Number::New(env, g->elapsedNs));
    res.Set("startUs", Napi::Number::New(env, g->startUs));
    g->deferred.Resolve(res);
  }
  g->sendTimesRef.Reset();
  g->ringRef.Reset();
  g->ring = nullptr;
  g->done.Release();
  g->Unref();
}

// Copies templates and options into a new Generator; nullptr with an exception pending
// when the arguments are malformed or the TX ring is already lent.
Generator* NewGenerator(const Napi::CallbackInfo& info, Ring* r) {
  Napi::Env env = info.Env();
  if (info.Length() < 5 || !info[1].IsTypedArray() || !info[2].IsTypedArray() || !info[3].IsObject()) {
    ThrowType(env, "gen_start(handle, templates, lengths, opts, sendTimes)");
    return nullptr;
  }
  Napi::Uint8Array tpl = info[1].As<Napi::Uint8Array>();
  Napi::Uint32Array lens = info[2].As<Napi::Uint32Array>();
  Napi::Object o = info[3].As<Napi::Object>();
  auto* g = new Generator(env);
  g->ring = r;
  g->ifname = r->ifname;
  g->tx = TxSlots{r->fd, r->txFrame(0), r->frameSize, r->txFrames, r->txStatusOff, r->txLenOff, r->txDataOff, r->linearTx};
  g->head = r->txHead;
  g->templates.assign(tpl.Data(), tpl.Data() + tpl.ByteLength());
  uint32_t off = 0;
  for (size_t i = 0; i < lens.ElementLength(); i++) {
    assert(lens[i] > 0 && lens[i] <= r->txSlotSize() && off + lens[i] <= tpl.ByteLength());
    g->offsets.push_back(off);
    g->lengths.push_back(lens[i]);
    off += lens[i];
  }
  assert(!g->lengths.empty());
  g->count = static_cast<uint64_t>(o.Get("count").As<Napi::Number>().DoubleValue());
  g->ratePps = o.Get("ratePps").As<Napi::Number>().DoubleValue();
  g->varySender = o.Get("varySender").As<Napi::Number>().Uint32Value();
  g->varyTarget = o.Get("varyTarget").As<Napi::Number>().Uint32Value();
  g->batch = o.Get("batch").As<Napi::Number>().Uint32Value();
  g->sendTimes = nullptr;
  if (info[4].IsTypedArray()) {
    Napi::Float64Array st = info[4].As<Napi::Float64Array>();
    assert(st.ElementLength() >= g->count);
    g->sendTimes = st.Data();
    g->sendTimesRef = Napi::Reference<Napi::Value>::New(info[4], 1);
  }
  if (!LendTx(r, g)) {
    delete g;
    ThrowType(env, "a generator already runs on " + r->ifname);
    return nullptr;
  }
  g->leased = true;
  g->ringRef = Napi::Reference<Napi::Value>::New(info[0], 1);
  return g;
}

// gen_start(ring, templates: Uint8Array, lengths: Uint32Array, opts, sendTimes: Float64Array | null)
//   -> { handle, done: Promise<{ sent, elapsedNs, startUs }> }
Napi::Value GenStart(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Ring* r = Unwrap(info);
  if (!r) return env.Undefined();
  Generator* g = NewGenerator(info, r);
  if (!g) return env.Undefined();
  g->done = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}),
                                          "neighproxy-generator", 0, 1);
  Napi::Object out = Napi::Object::New(env);
  Napi::External<Generator> handle = Napi::External<Generator>::New(env, g, [](Napi::Env, Generator* gen) { gen->Unref(); });
  handle.TypeTag(&kGeneratorTag);
  out.Set("handle", handle);
  out.Set("done", g->deferred.Promise());
  g->thread = std::thread([g]() {
    Run(g);
    g->done.BlockingCall(g, [](Napi::Env env, Napi::Function, Generator* gen) { Finish(env, gen); });
  });
  return out;
}

// gen_cancel(generator): the run stops at its next frame; `done` resolves with what was sent.
Napi::Value GenCancel(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsExternal() || !info[0].As<Napi::External<Generator>>().CheckTypeTag(&kGeneratorTag))
    return ThrowType(info.Env(), "gen_cancel(generator)");
  info[0].As<Napi::External<Generator>>().Data()->cancel = true;
  return info.Env().Undefined();
}

}  // namespace

// Hands the TX ring back to the Ring once (from Finish, or from End at ring close).
void Generator::GiveBack() {
  if (!leased) return;
  leased = false;
  ReturnTx(ring, this, head, sent);
}

// Ring close: stop the thread now (the promise still settles later, in Finish).
void Generator::End() {
  cancel = true;
  if (thread.joinable()) thread.join();
  GiveBack();
}

void InitGenerator(Napi::Env env, Napi::Object exports) {
  exports.Set("gen_start", Napi::Function::New(env, GenStart));
  exports.Set("gen_cancel", Napi::Function::New(env, GenCancel));
}

}  // namespace np
