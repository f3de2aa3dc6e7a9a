// The ring engine: one AF_PACKET socket per interface, RX and TX rings in one mapping,
// a uv_poll on the socket, one call into JS per batch, one sendto() per batch of replies.
//
// Why TPACKET_V2 by default (V3 is kept as an option, tpacketVersion: 3): measured with
// `node dist/bench/ring.js --runs 7 --v3` (veth, 60-byte ARP, 2 cores shared with other
// work; medians): light load (2000 pps) request-to-reply latency V2 21.5 us, V3 741 us
// (kernel proxy_arp 8.3 us); flood V2 230k replies/s, V3 293k (kernel 237k); at 200 kpps
// both answered 100%. V3 retires RX blocks on a timer (>= 1 ms) or when full, so at
// normal load every reply waits for the timer: 35x the latency, for a throughput gain we
// do not need (V2 already matches the kernel under flood, because each wake-up drains up
// to batchLimit frames). V2 also returns each frame to the kernel as soon as its batch
// returns, where V3 holds a block until its last frame is read. Re-measured for issue 11
// (`ring.js --runs 3 --v3`, load 9): at 2000 pps V2 47.5 us, V3 767 us: with the 1 ms
// minimum retire timeout V3 cannot answer within 200 us at light load.
//
// The TX path, measured for issue 11 item 5 (bench/txcost.ts, bench --perf; figures in
// the issue notes):
// - Linear TX (ring.h SetTxFrame) is on by default: it saves the page allocation, copy
//   and free that un-sharing a ring-page fragment costs per reply on veth, bridges and
//   taps, about 0.4-0.9 us of sendto per frame here.
// - PACKET_QDISC_BYPASS stays off by default: no consistent gain on veth (a noqueue
//   device), and replies sent with it are invisible to tcpdump and tc on the interface.
// - One sendto() per batch: flushing every K replies inside a batch lets the first ones
//   leave K frames of work earlier, but the last reply of a backlog still waits for all
//   the work before it, so p99 under load does not move; each extra sendto costs a
//   system call. The tail is the time to drain a backlog, i.e. scheduling delay times the
//   per-frame cost, which is what linear TX lowers.
// - Busy polling (SO_BUSY_POLL, SO_PREFER_BUSY_POLL, epoll busy poll) cannot engage: it
//   polls the NAPI context recorded on the socket (SO_INCOMING_NAPI_ID), and packet
//   sockets never record one (0 even on a veth with NAPI/GRO on, where a UDP socket on the
//   same link reads 259), on veth or on a NIC.
#include "ring.h"
#include "errors.h"
#include "netns.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cassert>
#include <cstring>
#include <vector>

namespace np {

namespace {

// The mapping outlives the Ring while a JS ArrayBuffer still points at it: the ring and
// the ArrayBuffer each hold a reference; the last one unmaps.
}  // namespace

struct Mapping {
  uint8_t* p;
  size_t len;
  std::atomic<int> refs;
};

namespace {

void MappingUnref(Mapping* m) {
  if (m->refs.fetch_sub(1) == 1) {
    if (m->p) munmap(m->p, m->len);
    delete m;
  }
}


// Classic BPF arrives as a Uint32Array of (code | jt << 16 | jf << 24, k) pairs.
bool ReadFilter(Napi::Env env, Napi::Value v, std::vector<sock_filter>* out) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) {
    ThrowType(env, "filter must be a Uint32Array of instruction pairs");
    return false;
  }
  Napi::Uint32Array a = v.As<Napi::Uint32Array>();
  size_t n = a.ElementLength() / 2;
  if (n == 0 || n > BPF_MAXINSNS || a.ElementLength() % 2) {
    ThrowType(env, "filter must hold 1.." + std::to_string(BPF_MAXINSNS) + " instructions");
    return false;
  }
  out->resize(n);
  for (size_t i = 0; i < n; i++) {
    uint32_t w = a[2 * i];
    (*out)[i] = sock_filter{static_cast<uint16_t>(w & 0xffff), static_cast<uint8_t>((w >> 16) & 0xff),
                            static_cast<uint8_t>(w >> 24), a[2 * i + 1]};
  }
  return true;
}

int AttachFilter(int fd, std::vector<sock_filter>& prog) {
  sock_fprog fprog{static_cast<unsigned short>(prog.size()), prog.data()};
  return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof(fprog)) ? errno : 0;
}

// PACKET_STATISTICS is read-and-reset in the kernel, so every read is accumulated.
void PollKernelStats(Ring* r) {
  if (r->fd < 0) return;
  tpacket_stats_v3 st{};  // V2 fills the first two fields only
  socklen_t len = sizeof(st);
  if (getsockopt(r->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) {
    r->stats[STAT_KPACKETS] += st.tp_packets;  // the kernel already adds drops to tp_packets
    r->stats[STAT_KDROPS] += st.tp_drops;
    if (r->version == TPACKET_V3) r->stats[STAT_KFREEZES] += st.tp_freeze_q_cnt;
  }
}

void OnPoll(uv_poll_t* handle, int status, int events);

}  // namespace

namespace {
const napi_type_tag kRingTag = {0x6e65696768707278ull, 0x72696e6768616e64ull};
}  // namespace

Ring* Unwrap(const Napi::CallbackInfo& info, bool allowClosed) {
  // The tag tells a ring handle from any other External (a generator's, say).
  if (info.Length() < 1 || !info[0].IsExternal() || !info[0].As<Napi::External<Ring>>().CheckTypeTag(&kRingTag)) {
    ThrowType(info.Env(), "first argument must be a ring handle");
    return nullptr;
  }
  Ring* r = info[0].As<Napi::External<Ring>>().Data();
  if (r->closed && !allowClosed) {
    Napi::Error e = Napi::Error::New(info.Env(), "ring " + r->ifname + " is closed");
    e.Set("code", Napi::String::New(info.Env(), "ERR_RING_CLOSED"));
    e.ThrowAsJavaScriptException();
    return nullptr;
  }
  return r;
}

int TxSend(Ring* r, uint32_t count) {
  assert(count <= r->txFrames);
  if (r->txLease) return -EBUSY;  // the borrower owns every TX slot until it returns them
  for (uint32_t i = 0; i < count; i++) {
    uint32_t s = r->txHead;
    assert(__atomic_load_n(r->txStatus(s), __ATOMIC_ACQUIRE) == TP_STATUS_AVAILABLE);
    if (r->shadow) {
      // Copying fallback: JS wrote length and bytes into the shadow slot.
      size_t base = r->txFrame(s) - r->map;
      uint32_t len;
      memcpy(&len, r->shadow + base + r->txLenOff, 4);
      assert(len <= r->txSlotSize());
      *r->txLen(s) = len;
      memcpy(r->txData(s), r->shadow + base + r->txDataOff, len);
    }
    assert(*r->txLen(s) > 0 && *r->txLen(s) <= r->txSlotSize());
    SetTxFrame(r->txData(s), r->txLen(s), *r->txLen(s), r->linearTx);
    __atomic_store_n(r->txStatus(s), TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
    r->txHead = (r->txHead + 1) % r->txFrames;
  }
  if (count == 0) return 0;
  // MSG_DONTWAIT: never block the event loop; frames the kernel could not take stay
  // SEND_REQUEST and leave with the next kick.
  if (sendto(r->fd, nullptr, 0, MSG_DONTWAIT, nullptr, 0) < 0 && errno != EAGAIN && errno != ENOBUFS) {
    int err = errno;
    r->stats[STAT_TX_ERRORS] += 1;
    return -err;
  }
  r->stats[STAT_SENT] += count;
  return static_cast<int>(count);
}

bool LendTx(Ring* r, TxLease* lease) {
  if (r->txLease || r->closed) return false;
  r->txLease = lease;
  return true;
}

void ReturnTx(Ring* r, TxLease* lease, uint32_t head, uint64_t sent) {
  assert(r->txLease == lease && head < r->txFrames);
  (void)lease;
  r->txLease = nullptr;
  r->txHead = head;
  r->stats[STAT_SENT] += static_cast<double>(sent);
}

void ReleaseResources(Ring* r) {
  if (r->closed) return;
  PollKernelStats(r);
  if (r->poll) {
    uv_poll_stop(r->poll);
    r->poll->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(r->poll), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    r->poll = nullptr;
  }
  if (r->fd >= 0) {
    // A JS view may keep the mapping (and so the socket) alive until GC: make it inert.
    sock_filter reject{BPF_RET | BPF_K, 0, 0, 0};
    sock_fprog fprog{1, &reject};
    setsockopt(r->fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof(fprog));
    close(r->fd);
    r->fd = -1;
  }
  // Once no JS view can reach the mapping (detached, or already collected), unmap it now:
  // that also drops the last reference to the socket, so it is gone at close(), not at GC.
  bool unreachable = true;
  if (!r->viewRef.IsEmpty()) {
    Napi::ArrayBuffer view = r->viewRef.Value();
    if (!view.IsEmpty() && !r->shadow) unreachable = napi_detach_arraybuffer(r->env, view) == napi_ok;
    r->viewRef.Reset();
  }
  if (r->mapping && unreachable) {
    munmap(r->mapping->p, r->mapping->len);
    r->mapping->p = nullptr;
  }
  if (r->mapping) {
    MappingUnref(r->mapping);
    r->mapping = nullptr;
  }
  r->map = nullptr;
  r->shadow = nullptr;
  r->onBatch.Reset();
  r->descRef.Reset();
  r->statsRef.Reset();
  r->shadowRef.Reset();
  if (!r->self.IsEmpty()) r->self.Reset();
  r->closed = true;
}

namespace {

void FinalizeRing(Napi::Env, Ring* r) {
  // Reachable only when JS dropped an unclosed, stopped ring (a started one is pinned by
  // `self`). No JS calls here: just system resources.
  if (!r->closed) {
    if (r->fd >= 0) close(r->fd);
    if (r->mapping) MappingUnref(r->mapping);
    if (r->poll) {
      r->poll->data = nullptr;
      uv_close(reinterpret_cast<uv_handle_t*>(r->poll), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    }
  }
  // The Ring's napi references are deleted with it (napi_delete_reference is allowed here).
  delete r;
}

uint32_t NumberField(Napi::Object o, const char* key, uint32_t dflt) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Uint32Value() : dflt;
}

// What ring_open was asked for; JS (src/engine/ring.ts) validated it.
struct OpenRequest {
  std::string ifname, netns;
  std::vector<sock_filter> prog;
  // PACKET_FANOUT_CBPF only: the program that picks the group member (empty otherwise).
  std::vector<sock_filter> fanoutProg;
  uint32_t frameSize, rxFrames, txFrames, batchLimit, fanout, blockSize, blockTimeoutMs;
  bool promisc, allmulti, qdiscBypass, copy, hasFanout, linearTx;
  int version;
};

// The interface as the kernel names it in the socket's namespace.
struct Device {
  int ifindex = 0;
  uint8_t mac[6] = {0};
};

// The step that failed (its name is the message's first word) and its errno; err 0: none.
struct Failure {
  const char* step = nullptr;
  int err = 0;
};
Failure Fail(const char* step) { return Failure{step, errno}; }

// Each step below is one system call (or two of a kind), run in this order by SetUp.

// Protocol 0: the socket is attached to no traffic until bind(), so nothing can be queued
// before the filter is on.
Failure OpenSocket(Ring* r) {
  r->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  return r->fd < 0 ? Fail("socket") : Failure{};
}

// Early: an unknown name fails here (ENODEV) before any ring memory exists; bind and the
// memberships need the index.
Failure LookUpDevice(int fd, const std::string& ifname, Device* dev) {
  ifreq ifr{};
  memcpy(ifr.ifr_name, ifname.c_str(), ifname.size());
  if (ioctl(fd, SIOCGIFINDEX, &ifr)) return Fail("ifindex");
  dev->ifindex = ifr.ifr_ifindex;
  if (ioctl(fd, SIOCGIFHWADDR, &ifr)) return Fail("hwaddr");
  if (ifr.ifr_hwaddr.sa_family == ARPHRD_ETHER) memcpy(dev->mac, ifr.ifr_hwaddr.sa_data, 6);
  return Failure{};
}

// Before bind: the filter is in place before the first packet can arrive, so frames the
// filter rejects are never queued in the ring. A socket that joins a fanout group gets a
// reject-all program here instead (RejectAll): between bind() and PACKET_FANOUT it is an
// ordinary tap that sees every frame the group also sees, so a new member would capture
// (and the daemon answer twice) the frames of the other members for that moment.
Failure FilterFirst(int fd, std::vector<sock_filter>& prog) {
  int err = AttachFilter(fd, prog);
  return err ? Failure{"attach filter", err} : Failure{};
}

// "ret #0": accept nothing (the capture filter of a fanout member until it has joined).
std::vector<sock_filter> RejectAll() { return {sock_filter{BPF_RET | BPF_K, 0, 0, 0}}; }

// After joining the group: the real filter, swapped in atomically (SO_ATTACH_FILTER on a
// live socket); from here on the member sees its share of the frames, filtered.
Failure FilterAfterJoin(int fd, bool hasFanout, std::vector<sock_filter>& prog) {
  if (!hasFanout) return Failure{};
  int err = AttachFilter(fd, prog);
  return err ? Failure{"attach filter", err} : Failure{};
}

// Before PACKET_RX_RING: the frame header format is fixed when a ring is created (the
// kernel answers EBUSY once one exists).
Failure SetVersion(int fd, int version) {
  return setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof(version)) ? Fail("packet version") : Failure{};
}

// Before the rings too: PACKET_LOSS is refused (EBUSY) once a ring exists; the others could
// come later but belong with it.
Failure SetSocketOptions(int fd, bool qdiscBypass, bool linearTx) {
  int one = 1;
  // Malformed TX frames are skipped instead of blocking the TX ring.
  if (setsockopt(fd, SOL_PACKET, PACKET_LOSS, &one, sizeof(one))) return Fail("packet loss");
  // Our own replies must never come back as input.
  if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one))) return Fail("ignore outgoing");
  if (qdiscBypass && setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one))) return Fail("qdisc bypass");
  // Linear TX (ring.h SetTxFrame); refused (EBUSY) once a ring exists. RX frames then carry
  // a virtio_net_hdr before the MAC header too: tp_mac skips it, so readers see no change,
  // and an RX slot holds 10 bytes less of the frame.
  if (linearTx && setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one))) return Fail("vnet header");
  return Failure{};
}

// After the version, before mmap: the mapping's size and layout are what the rings make.
// Frames are a power of two no larger than a block, so they tile the mapping with no gap:
// frame i is at i * frameSize. Rounds the frame counts up to whole blocks.
Failure CreateRings(Ring* r, const OpenRequest& q) {
  uint32_t frameSize = r->frameSize;
  uint32_t block = frameSize > 4096 ? frameSize : 4096;
  uint32_t per = block / frameSize;
  uint32_t rxFrames = r->rxFrames = (r->rxFrames + per - 1) / per * per;
  uint32_t txFrames = r->txFrames = (r->txFrames + per - 1) / per * per;
  if (r->version == TPACKET_V2) {
    tpacket_req rx{block, rxFrames / per, frameSize, rxFrames};
    tpacket_req tx{block, txFrames / per, frameSize, txFrames};
    if (setsockopt(r->fd, SOL_PACKET, PACKET_RX_RING, &rx, sizeof(rx))) return Fail("rx ring");
    if (setsockopt(r->fd, SOL_PACKET, PACKET_TX_RING, &tx, sizeof(tx))) return Fail("tx ring");
    r->txBase = static_cast<size_t>(rxFrames) * frameSize;
  } else {
    // Same RX memory as V2, cut into blockSize blocks retired after blockTimeoutMs.
    size_t rxBytes = static_cast<size_t>(rxFrames) * frameSize;
    r->blockSize = q.blockSize;
    r->rxBlocks = static_cast<uint32_t>((rxBytes + q.blockSize - 1) / q.blockSize);
    tpacket_req3 rx{q.blockSize, r->rxBlocks, frameSize, r->rxBlocks * (q.blockSize / frameSize), q.blockTimeoutMs, 0, 0};
    tpacket_req3 tx{block, txFrames / per, frameSize, txFrames, 0, 0, 0};
    if (setsockopt(r->fd, SOL_PACKET, PACKET_RX_RING, &rx, sizeof(rx))) return Fail("rx ring");
    if (setsockopt(r->fd, SOL_PACKET, PACKET_TX_RING, &tx, sizeof(tx))) return Fail("tx ring");
    r->txBase = static_cast<size_t>(r->rxBlocks) * q.blockSize;
  }
  r->mapLen = r->txBase + static_cast<size_t>(txFrames) * frameSize;
  return Failure{};
}

// After both rings exist: one mmap covers them, RX first, TX right after.
Failure MapRings(Ring* r) {
  void* p = mmap(nullptr, r->mapLen, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, 0);
  if (p == MAP_FAILED) return Fail("mmap");
  r->map = static_cast<uint8_t*>(p);
  r->mapping = new Mapping{r->map, r->mapLen, {1}};
  return Failure{};
}

// After filter, rings and mapping: bind starts delivery (ETH_P_ALL on this device), so
// everything that decides what is delivered and where is in place first.
Failure Bind(int fd, int ifindex) {
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = ifindex;
  return bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof(sll)) ? Fail("bind") : Failure{};
}

// After bind: memberships change the device (promiscuity), so only for a socket that
// opened; the kernel drops them with the socket.
Failure AddMemberships(int fd, int ifindex, bool promisc, bool allmulti) {
  for (int type : {promisc ? PACKET_MR_PROMISC : -1, allmulti ? PACKET_MR_ALLMULTI : -1}) {
    if (type < 0) continue;
    packet_mreq mr{};
    mr.mr_ifindex = ifindex;
    mr.mr_type = static_cast<unsigned short>(type);
    if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr))) return Fail("membership");
  }
  return Failure{};
}

// Last: the kernel only lets a bound socket join a fanout group (EINVAL otherwise) and
// matches the group on the bound device and protocol.
Failure JoinFanout(int fd, bool hasFanout, uint32_t fanout) {
  if (!hasFanout) return Failure{};
  return setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &fanout, sizeof(fanout)) ? Fail("fanout") : Failure{};
}

// After joining: PACKET_FANOUT_DATA needs a group (EINVAL otherwise) in CBPF mode; the
// program is the group's, so each member setting the same one is harmless.
Failure SetFanoutProgram(int fd, std::vector<sock_filter>& prog) {
  if (prog.empty()) return Failure{};
  sock_fprog fprog{static_cast<unsigned short>(prog.size()), prog.data()};
  return setsockopt(fd, SOL_PACKET, PACKET_FANOUT_DATA, &fprog, sizeof(fprog)) ? Fail("fanout program") : Failure{};
}

// The steps in order, inside the requested namespace (a packet socket belongs to the
// namespace it was created in); stops at the first failure.
Failure SetUp(Ring* r, OpenRequest& q, Device* dev) {
  NetnsGuard ns(q.netns);
  if (ns.err) return Failure{"netns", ns.err};
  Failure f = OpenSocket(r);
  std::vector<sock_filter> none = RejectAll();
  if (!f.err) f = LookUpDevice(r->fd, q.ifname, dev);
  if (!f.err) f = FilterFirst(r->fd, q.hasFanout ? none : q.prog);
  if (!f.err) f = SetVersion(r->fd, r->version);
  if (!f.err) f = SetSocketOptions(r->fd, q.qdiscBypass, q.linearTx);
  if (!f.err) f = CreateRings(r, q);
  if (!f.err) f = MapRings(r);
  if (!f.err) f = Bind(r->fd, dev->ifindex);
  if (!f.err) f = AddMemberships(r->fd, dev->ifindex, q.promisc, q.allmulti);
  if (!f.err) f = JoinFanout(r->fd, q.hasFanout, q.fanout);
  if (!f.err) f = SetFanoutProgram(r->fd, q.fanoutProg);
  if (!f.err) f = FilterAfterJoin(r->fd, q.hasFanout, q.prog);
  return f;
}

// Reads ring_open's arguments; false with a TypeError pending when they are malformed.
bool ReadOpenRequest(const Napi::CallbackInfo& info, OpenRequest* q) {
  Napi::Env env = info.Env();
  if (info.Length() < 6 || !info[0].IsString() || !info[1].IsString() || !info[3].IsObject() ||
      !info[4].IsTypedArray() || !info[5].IsTypedArray()) {
    ThrowType(env, "ring_open(ifname, netns, filter, opts, desc, stats)");
    return false;
  }
  q->ifname = info[0].As<Napi::String>();
  q->netns = info[1].As<Napi::String>();
  if (!ReadFilter(env, info[2], &q->prog)) return false;
  Napi::Object opts = info[3].As<Napi::Object>();
  q->frameSize = NumberField(opts, "frameSize", 512);
  q->rxFrames = NumberField(opts, "rxFrames", 4096);
  q->txFrames = NumberField(opts, "txFrames", 1024);
  q->batchLimit = NumberField(opts, "batchLimit", 256);
  q->promisc = opts.Get("promisc").ToBoolean();
  q->allmulti = opts.Get("allmulti").ToBoolean();
  q->qdiscBypass = opts.Get("qdiscBypass").ToBoolean();
  q->copy = opts.Get("copy").ToBoolean();
  q->linearTx = opts.Get("linearTx").ToBoolean();
  q->fanout = NumberField(opts, "fanout", 0);  // group | mode << 16 | flags
  q->hasFanout = opts.Get("hasFanout").ToBoolean();
  Napi::Value fanoutProg = opts.Get("fanoutProgram");
  if (q->hasFanout && fanoutProg.IsTypedArray() && !ReadFilter(env, fanoutProg, &q->fanoutProg)) return false;
  q->version = NumberField(opts, "version", 2) == 3 ? TPACKET_V3 : TPACKET_V2;
  q->blockSize = NumberField(opts, "blockSize", 65536);
  q->blockTimeoutMs = NumberField(opts, "blockTimeoutMs", 1);
  // JS validated geometry; these are invariants, not user errors.
  assert(q->ifname.size() > 0 && q->ifname.size() < IFNAMSIZ);
  assert(q->frameSize >= 128 && (q->frameSize & (q->frameSize - 1)) == 0);
  assert(q->rxFrames > 0 && q->txFrames > 0 && q->batchLimit > 0);
  assert(q->version == TPACKET_V2 || (q->blockSize >= q->frameSize && q->blockSize % 4096 == 0));
  return true;
}

// A Ring with its geometry and TX slot layout, before any system call.
Ring* NewRing(Napi::Env env, const OpenRequest& q, Napi::Uint32Array desc, Napi::Float64Array stats) {
  Ring* r = new Ring();
  r->env = env;
  r->ifname = q.ifname;
  r->frameSize = q.frameSize;
  r->rxFrames = q.rxFrames;
  r->txFrames = q.txFrames;
  r->batchLimit = q.batchLimit;
  r->version = q.version;
  bool v2 = q.version == TPACKET_V2;
  r->txStatusOff = v2 ? offsetof(tpacket2_hdr, tp_status) : offsetof(tpacket3_hdr, tp_status);
  r->txLenOff = v2 ? offsetof(tpacket2_hdr, tp_len) : offsetof(tpacket3_hdr, tp_len);
  r->linearTx = q.linearTx;
  r->txDataOff = (v2 ? kTxDataOffsetV2 : kTxDataOffsetV3) + (q.linearTx ? kVnetHdrLen : 0);
  r->desc = desc.Data();
  r->stats = stats.Data();
  return r;
}

// The JS view over the mapping: external (zero copy) when the runtime allows it, else a
// same-sized shadow that batches and sends copy through. Returns the ArrayBuffer.
napi_value MakeView(Napi::Env env, Ring* r, bool copy) {
  napi_value ab = nullptr;
  if (!copy) {
    r->mapping->refs++;
    napi_status st = napi_create_external_arraybuffer(
        env, r->map, r->mapLen, [](napi_env, void*, void* hint) { MappingUnref(static_cast<Mapping*>(hint)); },
        r->mapping, &ab);
    if (st != napi_ok) {
      r->mapping->refs--;
      copy = true;  // napi_no_external_buffers_allowed (sandboxed runtimes): copy instead
    }
  }
  if (copy) {
    Napi::ArrayBuffer shadow = Napi::ArrayBuffer::New(env, r->mapLen);
    r->shadow = static_cast<uint8_t*>(shadow.Data());
    r->shadowRef = Napi::Persistent(Napi::Object(env, shadow));
    ab = shadow;
  }
  r->viewRef = Napi::Reference<Napi::ArrayBuffer>::New(Napi::ArrayBuffer(env, ab), 0);
  return ab;
}

// ring_open's result: the handle, the view and what JS needs to walk the rings.
Napi::Object Describe(Napi::Env env, Ring* r, napi_value ab, const Device& dev) {
  const uint8_t* mac = dev.mac;
  Napi::Object out = Napi::Object::New(env);
  Napi::External<Ring> handle = Napi::External<Ring>::New(env, r, FinalizeRing);
  handle.TypeTag(&kRingTag);
  out.Set("handle", handle);
  out.Set("buf", Napi::Value(env, ab));
  out.Set("copied", Napi::Boolean::New(env, r->shadow != nullptr));
  out.Set("ifindex", Napi::Number::New(env, dev.ifindex));
  out.Set("macHi", Napi::Number::New(env, (mac[0] << 8) | mac[1]));
  out.Set("macLo", Napi::Number::New(env, static_cast<double>((uint32_t(mac[2]) << 24) | (mac[3] << 16) | (mac[4] << 8) | mac[5])));
  out.Set("rxFrames", Napi::Number::New(env, r->rxFrames));
  out.Set("txFrames", Napi::Number::New(env, r->txFrames));
  out.Set("txBase", Napi::Number::New(env, static_cast<double>(r->txBase)));
  out.Set("txDataOffset", Napi::Number::New(env, r->txDataOff));
  out.Set("txStatusOffset", Napi::Number::New(env, r->txStatusOff));
  out.Set("txLenOffset", Napi::Number::New(env, r->txLenOff));
  out.Set("version", Napi::Number::New(env, r->version == TPACKET_V3 ? 3 : 2));
  return out;
}

// ring_open(ifname, netnsPath | '', filter: Uint32Array, opts, desc: Uint32Array, stats: Float64Array)
//   -> { handle, buf: ArrayBuffer, copied, ifindex, macHi, macLo, txBase, txDataOffset, ... }
Napi::Value RingOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  OpenRequest q;
  if (!ReadOpenRequest(info, &q)) return env.Undefined();
  Napi::Uint32Array desc = info[4].As<Napi::Uint32Array>();
  Napi::Float64Array stats = info[5].As<Napi::Float64Array>();
  if (desc.ElementLength() < static_cast<size_t>(q.batchLimit) * DESC_STRIDE || stats.ElementLength() < STAT_COUNT)
    return ThrowType(env, "desc or stats array too small");
  Ring* r = NewRing(env, q, desc, stats);
  Device dev;
  Failure f = SetUp(r, q, &dev);
  if (f.err) {
    if (r->fd >= 0) close(r->fd);
    if (r->mapping) MappingUnref(r->mapping);
    delete r;
    return ThrowSys(env, f.step, q.ifname, f.err);
  }
  napi_value ab = MakeView(env, r, q.copy);
  r->descRef = Napi::Persistent(Napi::Object(env, desc));
  r->statsRef = Napi::Persistent(Napi::Object(env, stats));
  return Describe(env, r, ab, dev);
}

inline void FillDesc(Ring* r, uint32_t n, size_t off, uint32_t snap, uint32_t wire, uint32_t tci, uint32_t tpid,
                     uint32_t pkttype, uint32_t sec, uint32_t nsec) {
  uint32_t* d = r->desc + n * DESC_STRIDE;
  d[DESC_OFFSET] = static_cast<uint32_t>(off);
  d[DESC_LENGTH] = snap;
  d[DESC_VLAN_TCI] = tci;
  d[DESC_PKT_TYPE] = pkttype;
  d[DESC_TS_SEC] = sec;
  d[DESC_TS_NSEC] = nsec;
  d[DESC_WIRE_LENGTH] = wire;
  d[DESC_VLAN_TPID] = tpid;
  if (r->shadow) memcpy(r->shadow + off, r->map + off, snap);
}

// V2: one status word per frame. Fills the descriptor table; slots are released later.
uint32_t WalkV2(Ring* r) {
  uint32_t n = 0;
  uint32_t idx = r->rxHead;
  while (n < r->batchLimit) {
    uint8_t* f = r->rxFrame(idx);
    auto* h = reinterpret_cast<tpacket2_hdr*>(f);
    uint32_t st = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
    if (!(st & TP_STATUS_USER)) break;
    auto* sll = reinterpret_cast<sockaddr_ll*>(f + TPACKET_ALIGN(sizeof(tpacket2_hdr)));
    bool vlan = (st & TP_STATUS_VLAN_VALID) || h->tp_vlan_tci;
    FillDesc(r, n, static_cast<size_t>(f - r->map) + h->tp_mac, h->tp_snaplen, h->tp_len, vlan ? h->tp_vlan_tci : kVlanNone,
             vlan ? ((st & TP_STATUS_VLAN_TPID_VALID) ? h->tp_vlan_tpid : ETH_P_8021Q) : 0, sll->sll_pkttype, h->tp_sec,
             h->tp_nsec);
    n++;
    idx = (idx + 1) % r->rxFrames;
  }
  return n;
}

// V3: the kernel hands over whole blocks; frames inside are chained by tp_next_offset.
// A block is released once all its frames were in a batch that has returned.
uint32_t WalkV3(Ring* r) {
  uint32_t n = 0;
  while (n < r->batchLimit) {
    uint8_t* blk = r->map + static_cast<size_t>(r->rxBlock) * r->blockSize;
    auto* bd = reinterpret_cast<tpacket_block_desc*>(blk);
    if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) break;
    uint32_t num = bd->hdr.bh1.num_pkts;
    if (r->rxInBlock == 0) r->rxNext = bd->hdr.bh1.offset_to_first_pkt;
    while (r->rxInBlock < num && n < r->batchLimit) {
      uint8_t* f = blk + r->rxNext;
      auto* h = reinterpret_cast<tpacket3_hdr*>(f);
      auto* sll = reinterpret_cast<sockaddr_ll*>(f + TPACKET_ALIGN(sizeof(tpacket3_hdr)));
      uint32_t st = h->tp_status;
      bool vlan = (st & TP_STATUS_VLAN_VALID) || h->hv1.tp_vlan_tci;
      FillDesc(r, n, static_cast<size_t>(f - r->map) + h->tp_mac, h->tp_snaplen, h->tp_len,
               vlan ? h->hv1.tp_vlan_tci : kVlanNone,
               vlan ? ((st & TP_STATUS_VLAN_TPID_VALID) ? h->hv1.tp_vlan_tpid : ETH_P_8021Q) : 0, sll->sll_pkttype,
               h->tp_sec, h->tp_nsec);
      n++;
      r->rxInBlock++;
      r->rxNext += h->tp_next_offset;
    }
    if (r->rxInBlock < num) break;  // batch full mid-block
    r->doneBlocks.push_back(r->rxBlock);
    r->rxBlock = (r->rxBlock + 1) % r->rxBlocks;
    r->rxInBlock = 0;
  }
  return n;
}

// An error wake-up: the kernel set sk_err on the socket (ENETDOWN when the device goes
// down, also at bind on a device that is down) or queued something on its error queue;
// epoll reports POLLERR and libuv stops the handle (status UV_EBADF). The socket itself is
// fine: the kernel re-registers its receive hook when the device comes back up. So read
// (and thereby clear) the error, count it, and poll again. No spin: POLLERR is derived
// from sk_err and the error queue, both emptied here, so the next wake-up is a real event.
void OnSocketError(Ring* r) {
  assert(r->fd >= 0 && r->poll);
  int err = 0;
  socklen_t len = sizeof(err);
  if (getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err) r->stats[STAT_SOCK_ERRORS] += 1;
  if (err == 0) {
    // Not sk_err: drain the error queue (bounded; packet sockets only queue TX timestamps there).
    char buf[256];
    for (int i = 0; i < 64; i++) {
      iovec iov{buf, sizeof(buf)};
      msghdr msg{};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      if (recvmsg(r->fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) break;
      r->stats[STAT_SOCK_ERRORS] += 1;
    }
  }
  // Stopped by libuv on POLLERR; restart only if JS still wants batches (not after stop()).
  if (!r->onBatch.IsEmpty() && !r->closePending) {
    int rc = uv_poll_start(r->poll, UV_READABLE, OnPoll);
    assert(rc == 0);  // the fd is open and already initialised on this handle
    (void)rc;
  }
}

// Walks ready RX frames up to batchLimit, fills the descriptor table, calls JS once,
// returns the frames to the kernel, then sends what the handler committed.
void OnPoll(uv_poll_t* handle, int status, int) {
  Ring* r = static_cast<Ring*>(handle->data);
  if (!r || r->closed) return;
  r->stats[STAT_WAKEUPS] += 1;  // error wake-ups too: a storm would show here
  if (status < 0) {
    OnSocketError(r);
    return;
  }
  Napi::Env env(r->env);
  Napi::HandleScope scope(env);
  // A few batches per wake-up, then back to the loop so timers and other rings run.
  for (int round = 0; round < 8; round++) {
    uint32_t n = r->version == TPACKET_V2 ? WalkV2(r) : WalkV3(r);
    if (n == 0) break;
    r->stats[STAT_FRAMES] += n;
    r->stats[STAT_BATCHES] += 1;
    r->inBatch = true;
    Napi::Value ret = r->onBatch.MakeCallback(env.Global(), {Napi::Number::New(env, n)});
    r->inBatch = false;
    napi_value exc = nullptr;
    if (env.IsExceptionPending()) exc = env.GetAndClearPendingException().Value();
    // The batch is over: its RX slots (V2) or fully read blocks (V3) go back to the kernel.
    if (r->version == TPACKET_V2) {
      for (uint32_t i = 0; i < n; i++) {
        auto* h = reinterpret_cast<tpacket2_hdr*>(r->rxFrame(r->rxHead));
        __atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
        r->rxHead = (r->rxHead + 1) % r->rxFrames;
      }
    } else {
      for (uint32_t b : r->doneBlocks) {
        auto* bd = reinterpret_cast<tpacket_block_desc*>(r->map + static_cast<size_t>(b) * r->blockSize);
        __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
      }
      r->doneBlocks.clear();
    }
    uint32_t pending = (!exc && !ret.IsEmpty() && ret.IsNumber()) ? ret.As<Napi::Number>().Uint32Value() : 0;
    if (pending) TxSend(r, pending);
    if (r->closePending) ReleaseResources(r);
    if (exc) {
      napi_fatal_exception(env, exc);  // surfaces as 'uncaughtException', like any callback
      return;
    }
    if (r->closed || r->onBatch.IsEmpty() || n < r->batchLimit) break;
  }
}

Napi::Value RingStart(const Napi::CallbackInfo& info) {
  Ring* r = Unwrap(info);
  if (!r) return info.Env().Undefined();
  if (info.Length() < 2 || !info[1].IsFunction()) return ThrowType(info.Env(), "ring_start(handle, onBatch)");
  if (!r->poll) {
    r->poll = new uv_poll_t;
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(info.Env(), &loop);
    int rc = uv_poll_init(loop, r->poll, r->fd);
    assert(rc == 0);
    (void)rc;
    r->poll->data = r;
  }
  r->onBatch = Napi::Persistent(info[1].As<Napi::Function>());
  if (r->self.IsEmpty()) r->self = Napi::Reference<Napi::Value>::New(info[0], 1);
  int rc = uv_poll_start(r->poll, UV_READABLE, OnPoll);
  if (rc) return ThrowSys(info.Env(), "poll", r->ifname, -rc);
  return info.Env().Undefined();
}

Napi::Value RingStop(const Napi::CallbackInfo& info) {
  Ring* r = Unwrap(info, true);
  if (!r || r->closed) return info.Env().Undefined();
  if (r->poll) uv_poll_stop(r->poll);
  r->onBatch.Reset();
  if (!r->self.IsEmpty()) r->self.Reset();
  return info.Env().Undefined();
}

Napi::Value RingSetFilter(const Napi::CallbackInfo& info) {
  Ring* r = Unwrap(info);
  if (!r) return info.Env().Undefined();
  std::vector<sock_filter> prog;
  if (info.Length() < 2 || !ReadFilter(info.Env(), info[1], &prog)) return info.Env().Undefined();
  // SO_ATTACH_FILTER on a live socket swaps the program atomically in the kernel.
  if (int err = AttachFilter(r->fd, prog)) return ThrowSys(info.Env(), "attach filter", r->ifname, err);
  return info.Env().Undefined();
}

// ring_send(handle, count) -> frames handed to the kernel; throws on a hard send error.
Napi::Value RingSend(const Napi::CallbackInfo& info) {
  Ring* r = Unwrap(info);
  if (!r) return info.Env().Undefined();
  if (info.Length() < 2 || !info[1].IsNumber()) return ThrowType(info.Env(), "ring_send(handle, count)");
  uint32_t count = info[1].As<Napi::Number>().Uint32Value();
  if (count > r->txFrames) return ThrowType(info.Env(), "count exceeds the TX ring");
  int rc = TxSend(r, count);
  // The device is down (or gone): counted in STAT_TX_ERRORS by TxSend, not thrown. The slots
  // stay SEND_REQUEST and leave with the next kick once the device is up again.
  if (rc == -ENETDOWN || rc == -ENXIO) return Napi::Number::New(info.Env(), 0);
  if (rc < 0) return ThrowSys(info.Env(), "send", r->ifname, -rc);
  return Napi::Number::New(info.Env(), rc);
}

// ring_tx_free(handle, slot) -> whether TX slot `slot` is free (copying fallback only:
// there JS cannot see the kernel's status word).
Napi::Value RingTxFree(const Napi::CallbackInfo& info) {
  Ring* r = Unwrap(info);
  if (!r) return info.Env().Undefined();
  uint32_t slot = info[1].As<Napi::Number>().Uint32Value();
  assert(slot < r->txFrames);
  return Napi::Boolean::New(info.Env(), __atomic_load_n(r->txStatus(slot), __ATOMIC_ACQUIRE) == TP_STATUS_AVAILABLE);
}

Napi::Value RingStats(const Napi::CallbackInfo& info) {
  Ring* r = Unwrap(info, true);
  if (r && !r->closed) PollKernelStats(r);
  return info.Env().Undefined();
}

Napi::Value RingClose(const Napi::CallbackInfo& info) {
  Ring* r = Unwrap(info, true);
  if (!r || r->closed) return info.Env().Undefined();
  // The borrower's thread writes into the mapping: stop it before the mapping can go.
  if (r->txLease) r->txLease->End();
  assert(!r->txLease);
  if (r->inBatch) {
    // Closing from inside the handler: the batch still owns RX slots; finish it first.
    if (r->poll) uv_poll_stop(r->poll);
    r->closePending = true;
    return info.Env().Undefined();
  }
  ReleaseResources(r);
  return info.Env().Undefined();
}

}  // namespace

void InitRing(Napi::Env env, Napi::Object exports) {
  exports.Set("ring_open", Napi::Function::New(env, RingOpen));
  exports.Set("ring_start", Napi::Function::New(env, RingStart));
  exports.Set("ring_stop", Napi::Function::New(env, RingStop));
  exports.Set("ring_set_filter", Napi::Function::New(env, RingSetFilter));
  exports.Set("ring_send", Napi::Function::New(env, RingSend));
  exports.Set("ring_tx_free", Napi::Function::New(env, RingTxFree));
  exports.Set("ring_stats", Napi::Function::New(env, RingStats));
  exports.Set("ring_close", Napi::Function::New(env, RingClose));
  // Every name of the layout shared with JS, once (udx-native's NAPI_EXPORT_OFFSETOF habit).
  Napi::Object layout = Napi::Object::New(env);
#define NP_EXPORT_LAYOUT(name) layout.Set(#name, Napi::Number::New(env, name))
  NP_EXPORT_LAYOUT(DESC_OFFSET);
  NP_EXPORT_LAYOUT(DESC_LENGTH);
  NP_EXPORT_LAYOUT(DESC_VLAN_TCI);
  NP_EXPORT_LAYOUT(DESC_PKT_TYPE);
  NP_EXPORT_LAYOUT(DESC_TS_SEC);
  NP_EXPORT_LAYOUT(DESC_TS_NSEC);
  NP_EXPORT_LAYOUT(DESC_WIRE_LENGTH);
  NP_EXPORT_LAYOUT(DESC_VLAN_TPID);
  NP_EXPORT_LAYOUT(DESC_STRIDE);
  NP_EXPORT_LAYOUT(STAT_FRAMES);
  NP_EXPORT_LAYOUT(STAT_BATCHES);
  NP_EXPORT_LAYOUT(STAT_SENT);
  NP_EXPORT_LAYOUT(STAT_TX_FULL);
  NP_EXPORT_LAYOUT(STAT_KDROPS);
  NP_EXPORT_LAYOUT(STAT_KFREEZES);
  NP_EXPORT_LAYOUT(STAT_KPACKETS);
  NP_EXPORT_LAYOUT(STAT_TX_ERRORS);
  NP_EXPORT_LAYOUT(STAT_WAKEUPS);
  NP_EXPORT_LAYOUT(STAT_SOCK_ERRORS);
  NP_EXPORT_LAYOUT(STAT_COUNT);
#undef NP_EXPORT_LAYOUT
  layout.Set("VLAN_NONE", Napi::Number::New(env, kVlanNone));
  exports.Set("layout", layout);
}

}  // namespace np
