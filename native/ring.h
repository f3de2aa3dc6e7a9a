// One AF_PACKET socket per interface with an RX and a TX ring in a single mapping.
#pragma once
#include <napi.h>
#include <uv.h>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>
#include <linux/if_packet.h>

namespace np {

// The layout shared with TypeScript is named here once: every index below is exported in
// the addon's `layout` object (ring.cc InitRing) and src/engine/binding.ts checks each one
// against src/engine/types.ts when the addon loads. Changing one means bumping kAbiVersion.
// Descriptor words per frame.
enum Desc : uint32_t {
  DESC_OFFSET = 0, DESC_LENGTH, DESC_VLAN_TCI, DESC_PKT_TYPE,
  DESC_TS_SEC, DESC_TS_NSEC, DESC_WIRE_LENGTH, DESC_VLAN_TPID, DESC_STRIDE
};

// Slots of the shared Float64Array stats block.
enum Stat : uint32_t {
  STAT_FRAMES = 0, STAT_BATCHES, STAT_SENT, STAT_TX_FULL, STAT_KDROPS, STAT_KFREEZES,
  STAT_KPACKETS, STAT_TX_ERRORS, STAT_WAKEUPS, STAT_SOCK_ERRORS, STAT_COUNT
};

// DESC_VLAN_TCI when the kernel reported no tag.
constexpr uint32_t kVlanNone = 0xffffffffu;
// Bumped whenever the surface (functions, their arguments, the layout) changes; checked
// by src/engine/binding.ts so a stale build fails at load with "rebuild", not later.
constexpr uint32_t kAbiVersion = 7;
// A frame is a tpacket{2,3}_hdr, then struct sockaddr_ll, then data. Without
// PACKET_TX_HAS_OFF the kernel takes TX data right after the (aligned) header.
constexpr uint32_t kTxDataOffsetV2 = TPACKET_ALIGN(sizeof(tpacket2_hdr));
constexpr uint32_t kTxDataOffsetV3 = TPACKET_ALIGN(sizeof(tpacket3_hdr));
// Linear TX (PACKET_VNET_HDR on the socket): a struct virtio_net_hdr precedes each TX frame.
constexpr uint32_t kVnetHdrLen = 10;
// Frames up to this size go linear (every ARP and ND reply); larger ones keep the ring-page
// fragment, where a copy into the head would cost more than it saves.
constexpr uint32_t kLinearTxMax = 512;

// Makes the `len` bytes at `frame` in a TX slot sendable. With linear TX, writes the
// virtio_net_hdr in front of the frame with hdr_len = len (no GSO, no checksum offload):
// tpacket_snd then copies the whole frame into the skb head instead of attaching the ring
// page as a fragment, which veth, a bridge or any tap (tcpdump) must otherwise un-share
// with a page allocation and a copy per frame (skb_copy_ubufs). tp_len counts the header.
// Shared by the ring (TxSend) and the bench's generator.
inline void SetTxFrame(uint8_t* frame, uint32_t* tpLen, uint32_t len, bool linear) {
  if (linear) {
    uint8_t* h = frame - kVnetHdrLen;
    uint32_t head = len <= kLinearTxMax ? len : 0;  // 0: the kernel's minimum, the MAC header
    memset(h, 0, kVnetHdrLen);                     // flags 0, gso_type VIRTIO_NET_HDR_GSO_NONE
    h[2] = static_cast<uint8_t>(head);             // hdr_len, little endian (the kernel's vio_le)
    h[3] = static_cast<uint8_t>(head >> 8);
    len += kVnetHdrLen;
  }
  *tpLen = len;
}

// Something that borrowed the TX ring from the Ring (the bench's load generator,
// generator.cc). While a lease is held the Ring sends nothing itself (ring_send: EBUSY),
// and close() ends the lease before the ring memory goes away.
struct TxLease {
  // Stops the borrower and waits for it (its thread is joined); it returns the ring with ReturnTx.
  virtual void End() = 0;

 protected:
  ~TxLease() = default;
};

struct Ring {
  napi_env env = nullptr;
  std::string ifname;
  int fd = -1;
  uint8_t* map = nullptr;
  size_t mapLen = 0;
  int version = TPACKET_V2;
  uint32_t frameSize = 0, rxFrames = 0, txFrames = 0;
  // TPACKET_V3 RX: blocks of variable-length frames, handed over a block at a time.
  uint32_t blockSize = 0, rxBlocks = 0;
  uint32_t rxBlock = 0, rxInBlock = 0, rxNext = 0;  // read position inside the current block
  std::vector<uint32_t> doneBlocks;                 // fully read in this batch: release after it
  // TX slot layout (tpacket2_hdr or tpacket3_hdr): where status, length and data are.
  // txDataOff is where a frame's first byte goes (after the virtio_net_hdr with linear TX).
  uint32_t txStatusOff = 0, txLenOff = 0, txDataOff = 0;
  bool linearTx = false;
  size_t txBase = 0;            // byte offset of the TX ring in the mapping
  uint32_t rxHead = 0;          // next RX frame to look at
  uint32_t txHead = 0;          // next TX slot to hand to the kernel
  uint32_t batchLimit = 0;
  uint32_t* desc = nullptr;     // JS Uint32Array, batchLimit * DESC_STRIDE words
  double* stats = nullptr;      // JS Float64Array, STAT_COUNT slots
  uint8_t* shadow = nullptr;    // copying fallback: JS ArrayBuffer mirroring the mapping
  bool closed = false;
  uv_poll_t* poll = nullptr;    // separately allocated: freed by uv_close's callback
  TxLease* txLease = nullptr;   // set while another sender borrows the TX ring
  Napi::FunctionReference onBatch;
  Napi::Reference<Napi::Value> self;  // strong while polling: no GC under libuv's feet
  Napi::ObjectReference descRef, statsRef, shadowRef;
  Napi::Reference<Napi::ArrayBuffer> viewRef;  // weak: detached at close

  struct Mapping* mapping = nullptr;  // shared with the JS ArrayBuffer
  bool inBatch = false;
  bool closePending = false;     // close() called from inside the handler

  uint8_t* rxFrame(uint32_t i) const { return map + static_cast<size_t>(i) * frameSize; }
  uint8_t* txFrame(uint32_t i) const { return map + txBase + static_cast<size_t>(i) * frameSize; }
  uint32_t* txStatus(uint32_t i) const { return reinterpret_cast<uint32_t*>(txFrame(i) + txStatusOff); }
  uint32_t* txLen(uint32_t i) const { return reinterpret_cast<uint32_t*>(txFrame(i) + txLenOff); }
  uint8_t* txData(uint32_t i) const { return txFrame(i) + txDataOff; }
  uint32_t txSlotSize() const { return frameSize - txDataOff; }
};

Ring* Unwrap(const Napi::CallbackInfo& info, bool allowClosed = false);
// Marks `count` TX slots from txHead as SEND_REQUEST and kicks the kernel once.
// Returns frames handed over, or -errno.
int TxSend(Ring* r, uint32_t count);
void ReleaseResources(Ring* r);
// Lends the TX ring (false when it is already lent); the borrower starts at r->txHead.
bool LendTx(Ring* r, TxLease* lease);
// The borrower hands the TX ring back (main thread) after handing `sent` frames to the
// kernel, with `head` its next free slot.
void ReturnTx(Ring* r, TxLease* lease, uint32_t head, uint64_t sent);

void InitRing(Napi::Env env, Napi::Object exports);
void InitGenerator(Napi::Env env, Napi::Object exports);
// caps.cc: drop_privileges (setuid keeping CAP_NET_RAW/CAP_NET_ADMIN on the calling thread).
void InitCaps(Napi::Env env, Napi::Object exports);
void InitNetlink(Napi::Env env, Napi::Object exports);

}  // namespace np
