// One AF_PACKET socket per interface with an RX and a TX ring in a single mapping.
#pragma once
#include <napi.h>
#include <uv.h>
#include <atomic>
#include <cstdint>
#include <string>
#include <linux/if_packet.h>

namespace np {

// Descriptor words per frame (mirror of src/engine/types.ts DESC_*).
enum Desc : uint32_t {
  DESC_OFFSET = 0, DESC_LENGTH, DESC_VLAN_TCI, DESC_PKT_TYPE,
  DESC_TS_SEC, DESC_TS_NSEC, DESC_WIRE_LENGTH, DESC_VLAN_TPID, DESC_STRIDE
};

// Slots of the shared Float64Array stats block (mirror of src/engine/binding.ts STAT_*).
enum Stat : uint32_t {
  STAT_FRAMES = 0, STAT_BATCHES, STAT_SENT, STAT_TX_FULL, STAT_KDROPS, STAT_KFREEZES,
  STAT_KPACKETS, STAT_TX_ERRORS, STAT_WAKEUPS, STAT_COUNT
};

constexpr uint32_t kVlanNone = 0xffffffffu;
// TPACKET_V2 frame header: struct tpacket2_hdr, then struct sockaddr_ll, then data.
constexpr uint32_t kHdrLen = TPACKET_ALIGN(sizeof(tpacket2_hdr)) + sizeof(sockaddr_ll);
// Without PACKET_TX_HAS_OFF the kernel takes TX data right after the tpacket2_hdr.
constexpr uint32_t kTxDataOffset = kHdrLen - sizeof(sockaddr_ll);

struct Ring {
  napi_env env = nullptr;
  std::string ifname;
  int fd = -1;
  uint8_t* map = nullptr;
  size_t mapLen = 0;
  uint32_t frameSize = 0, rxFrames = 0, txFrames = 0;
  size_t txBase = 0;            // byte offset of the TX ring in the mapping
  uint32_t rxHead = 0;          // next RX frame to look at
  uint32_t txHead = 0;          // next TX slot to hand to the kernel
  uint32_t batchLimit = 0;
  uint32_t* desc = nullptr;     // JS Uint32Array, batchLimit * DESC_STRIDE words
  double* stats = nullptr;      // JS Float64Array, STAT_COUNT slots
  uint8_t* shadow = nullptr;    // copying fallback: JS ArrayBuffer mirroring the mapping
  bool closed = false;
  uv_poll_t* poll = nullptr;    // separately allocated: freed by uv_close's callback
  std::atomic<bool> generating{false};  // a generator thread owns the TX ring
  Napi::FunctionReference onBatch;
  Napi::Reference<Napi::Value> self;  // strong while polling: no GC under libuv's feet
  Napi::ObjectReference descRef, statsRef, shadowRef;
  Napi::Reference<Napi::ArrayBuffer> viewRef;  // weak: detached at close

  struct Mapping* mapping = nullptr;  // shared with the JS ArrayBuffer
  bool inBatch = false;
  bool closePending = false;     // close() called from inside the handler
  struct Generator* gen = nullptr;  // load generator thread using the TX ring, if any

  uint8_t* rxFrame(uint32_t i) const { return map + static_cast<size_t>(i) * frameSize; }
  uint8_t* txFrame(uint32_t i) const { return map + txBase + static_cast<size_t>(i) * frameSize; }
};

Ring* Unwrap(const Napi::CallbackInfo& info, bool allowClosed = false);
// Marks `count` TX slots from txHead as SEND_REQUEST and kicks the kernel once.
// Returns frames handed over, or -errno.
int TxSend(Ring* r, uint32_t count);
void ReleaseResources(Ring* r);
// Cancels and joins a running load generator (no-op when none).
void JoinGenerator(Ring* r);

void InitRing(Napi::Env env, Napi::Object exports);
void InitGenerator(Napi::Env env, Napi::Object exports);

}  // namespace np
