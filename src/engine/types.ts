// CONTRACT between the ring engine (src/engine, native/) and its users (daemon, tests, bench).
//
// A batch is a window over kernel ring memory: `buf` is one Uint8Array over the whole
// mapping (created once), `desc` a preallocated descriptor table the addon fills before
// the single call into JS. Nothing here is valid after the handler returns: RX slots
// go back to the kernel then.
//
// The DESC_*, STAT_* and VLAN_NONE values are the addon's (native/ring.h names each once
// and exports it in `layout`); binding.ts checks every one of them against these when the
// addon loads and refuses a build that disagrees. They are written out here so that code
// that only reads or builds descriptor tables (wire, replay, tests) loads no native code.

/** Words per frame in `Batch.desc`. */
export const DESC_STRIDE = 8;
/** Byte offset of the frame's first byte (destination MAC) in `buf`. */
export const DESC_OFFSET = 0;
/** Captured length in bytes. */
export const DESC_LENGTH = 1;
/** VLAN TCI reported out of band by the kernel (tag stripped), or 0xffffffff when none. */
export const DESC_VLAN_TCI = 2;
/** PACKET_HOST, PACKET_BROADCAST, PACKET_MULTICAST, PACKET_OTHERHOST, PACKET_OUTGOING. */
export const DESC_PKT_TYPE = 3;
/** Kernel receive timestamp: seconds and nanoseconds. */
export const DESC_TS_SEC = 4;
export const DESC_TS_NSEC = 5;
/** Original length on the wire (may exceed the captured length). */
export const DESC_WIRE_LENGTH = 6;
/** VLAN TPID reported out of band (0x8100 / 0x88a8), 0 when none. */
export const DESC_VLAN_TPID = 7;

/** DESC_VLAN_TCI when the frame carried no tag. */
export const VLAN_NONE = 0xffffffff;

/** Slots of the shared Float64Array stats block the addon writes (RingCounters reads them). */
export const STAT_FRAMES = 0;
export const STAT_BATCHES = 1;
export const STAT_SENT = 2;
export const STAT_TX_FULL = 3;
export const STAT_KDROPS = 4;
export const STAT_KFREEZES = 5;
export const STAT_KPACKETS = 6;
export const STAT_TX_ERRORS = 7;
export const STAT_WAKEUPS = 8;
export const STAT_SOCK_ERRORS = 9;
/** Slots in the block. */
export const STAT_COUNT = 10;

export interface Batch {
  /** Frames in this batch. */
  readonly count: number;
  /** View over the ring mapping (or a copy when external buffers are not allowed). */
  readonly buf: Uint8Array;
  /** `count * DESC_STRIDE` words; frame i's fields at `desc[i * DESC_STRIDE + DESC_*]`. */
  readonly desc: Uint32Array;
}

/**
 * Writes replies into TX ring slots. One reusable object per ring. Usage:
 *   const off = tx.reserve(); if (off >= 0) tx.commit(buildX(tx.buf, off, ...));
 * Committed slots are handed to the kernel with one sendto() after the batch handler
 * returns (or at `flush()` outside a batch).
 */
export interface TxWriter {
  /** Same mapping as Batch.buf. */
  readonly buf: Uint8Array;
  /** Largest frame a slot holds. */
  readonly slotSize: number;
  /** Offset in `buf` of a free slot to write a frame at, or -1 when the TX ring is full (counted). */
  reserve(): number;
  /** Queues the frame of `length` bytes written at the offset `reserve()` returned. */
  commit(length: number): void;
  /** Sends what was committed outside a batch handler (timers). Returns frames handed to the kernel. */
  flush(): number;
}

export type BatchHandler = (batch: Batch, tx: TxWriter) => void;

/** Accumulated counters (kernel PACKET_STATISTICS are read-and-reset; these never go back). */
export interface RingCounters {
  framesReceived: number;
  batches: number;
  repliesSent: number;
  txRingFull: number;
  kernelDrops: number;
  kernelFreezes: number;
  kernelPackets: number;
  /** TX kicks (sendto) that failed, e.g. ENETDOWN while the device is down; the frames stay queued. */
  txErrors: number;
  /**
   * Pending socket errors read and cleared after an error wake-up (POLLERR), e.g. the
   * ENETDOWN the kernel sets when the device goes down; the ring keeps polling.
   */
  socketErrors: number;
  /** Small batches after which a paced ring waited before polling again (pace.ts; absent: not paced). */
  pacedWaits?: number;
}

/** One classic-BPF instruction (struct sock_filter). Programs are data handed to the addon. */
export interface BpfInsn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

export type BpfProgram = readonly BpfInsn[];
