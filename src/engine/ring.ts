// Ring: the TypeScript face of one AF_PACKET socket with RX and TX rings.
//
// The addon calls back once per batch; frames are read through `batch.buf` (one
// Uint8Array over the whole mapping, made once) at offsets from `batch.desc`. Replies are
// written straight into TX slots through `tx.buf` and leave with one sendto() when the
// handler returns. Counters live in a shared Float64Array the addon writes; reading them
// costs no call except the PACKET_STATISTICS poll in `counters()`.
import { ARP_AND_NS_FILTER, packFilter } from './filters';
import { packFanout, type FanoutOptions } from './fanout';
import { binding, type NativeBinding, type RingHandle } from './binding';
import {
  DESC_STRIDE,
  STAT_BATCHES,
  STAT_COUNT,
  STAT_FRAMES,
  STAT_KDROPS,
  STAT_KFREEZES,
  STAT_KPACKETS,
  STAT_SENT,
  STAT_SOCK_ERRORS,
  STAT_TX_ERRORS,
  STAT_TX_FULL,
  STAT_WAKEUPS,
  type Batch,
  type BatchHandler,
  type BpfProgram,
  type RingCounters,
  type TxWriter,
} from './types';

export type { FanoutMode, FanoutOptions } from './fanout';

export interface RingOptions {
  /** Kernel filter; default ARP_AND_NS_FILTER. Attached before bind: nothing unfiltered is ever queued. */
  filter?: BpfProgram;
  /** Network namespace to open the socket in (`/run/netns/NAME`); the process stays where it is. */
  netns?: string;
  /** PACKET_MR_PROMISC membership (dropped with the socket). */
  promisc?: boolean;
  /** PACKET_MR_ALLMULTI membership. */
  allmulti?: boolean;
  /**
   * PACKET_QDISC_BYPASS (default false): replies skip the qdisc layer, and with it tc and
   * every tap on the interface: tcpdump no longer sees them. No measurable gain on veth
   * (bench/txcost.ts), so only load generators set it.
   */
  qdiscBypass?: boolean;
  fanout?: FanoutOptions;
  /** Bytes per ring slot, a power of two 128..65536 (default 512; ARP/ND frames are small). */
  frameSize?: number;
  /** RX slots (default 4096). Rounded up to whole 4 KiB blocks. */
  rxFrames?: number;
  /** TX slots (default 1024). */
  txFrames?: number;
  /** Most frames handed to JS per call (default 256). */
  batchLimit?: number;
  /**
   * Ring version: 2 (default; per-frame status, see native/ring.cc for why) or 3 (RX in
   * blocks retired after blockTimeoutMs; kept for measurement, bench/ring.ts --v3).
   */
  tpacketVersion?: 2 | 3;
  /** TPACKET_V3 only: RX block size, a multiple of 4096 no smaller than frameSize (default 65536). */
  blockSize?: number;
  /** TPACKET_V3 only: block retire timeout in ms (default 1). */
  blockTimeoutMs?: number;
  /**
   * Linear TX (default true): the kernel copies each frame of up to 512 bytes whole into
   * its socket buffer (PACKET_VNET_HDR, header length = the frame) instead of attaching the
   * ring page as a fragment, which veth, a bridge or any tap (tcpdump) must then un-share
   * with a page allocation and a copy per frame. bench/txcost.ts measures it. Costs 10
   * bytes of every TX and RX slot (the virtio_net_hdr); `tx.slotSize` accounts for it.
   */
  linearTx?: boolean;
  /** Copy frames through a JS ArrayBuffer instead of viewing the ring (chosen automatically where external buffers are refused). */
  copy?: boolean;
}

const DEFAULTS = { frameSize: 512, rxFrames: 4096, txFrames: 1024, batchLimit: 256 };
const TP_STATUS_AVAILABLE = 0;

function expectInt(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`Expected integer between ${min} and ${max} for ${name} but received ${String(v)} of type ${typeof v}`);
  }
  return v;
}

function expectBool(name: string, v: unknown): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new TypeError(`Expected boolean for ${name} but received ${String(v)} of type ${typeof v}`);
  return v;
}

class RingBatch implements Batch {
  count = 0;
  constructor(readonly buf: Uint8Array, readonly desc: Uint32Array) {}
}

/** TX writer over the ring's TX slots; mirrors the addon's TX head. */
class RingTx implements TxWriter {
  readonly slotSize: number;
  /** Next slot the addon will hand to the kernel. */
  private head = 0;
  /** Committed slots not yet handed over (they follow `head`). */
  private pending = 0;
  private reserved = -1;
  inBatch = false;
  locked = false;
  private readonly status: Uint32Array;

  constructor(
    private readonly native: NativeBinding,
    private readonly handle: RingHandle,
    readonly buf: Uint8Array,
    private readonly stats: Float64Array,
    private readonly txBase: number,
    private readonly frameSize: number,
    private readonly txFrames: number,
    private readonly dataOffset: number,
    private readonly statusOffset: number,
    private readonly lenOffset: number,
    private readonly copied: boolean,
  ) {
    this.slotSize = frameSize - dataOffset;
    this.status = new Uint32Array(buf.buffer, buf.byteOffset, buf.byteLength >>> 2);
  }

  reserve(): number {
    if (this.locked) return -1;
    const slot = (this.head + this.pending) % this.txFrames;
    const base = this.txBase + slot * this.frameSize;
    if (this.reserved === slot) return base + this.dataOffset;
    const free =
      this.pending < this.txFrames &&
      (this.copied ? this.native.ring_tx_free(this.handle, slot) : this.status[(base + this.statusOffset) >>> 2] === TP_STATUS_AVAILABLE);
    if (!free) {
      this.stats[STAT_TX_FULL]! += 1;
      return -1;
    }
    this.reserved = slot;
    return base + this.dataOffset;
  }

  commit(length: number): void {
    if (this.reserved < 0) throw new Error('tx.commit() without a successful tx.reserve()');
    if (!Number.isInteger(length) || length < 14 || length > this.slotSize) {
      throw new RangeError(`Expected integer between 14 and ${this.slotSize} for frame length but received ${String(length)}`);
    }
    const base = this.txBase + this.reserved * this.frameSize;
    this.status[(base + this.lenOffset) >>> 2] = length;
    this.pending++;
    this.reserved = -1;
  }

  flush(): number {
    if (this.inBatch || this.pending === 0) return 0; // inside a batch: sent when the handler returns
    const n = this.native.ring_send(this.handle, this.pending);
    this.advance();
    return n;
  }

  /** Hands committed slots to the addon at the end of a batch. */
  take(): number {
    const n = this.pending;
    this.advance();
    return n;
  }

  /** After a generator run of `sent` frames moved the addon's head. */
  skip(sent: number): void {
    this.head = (this.head + sent) % this.txFrames;
  }

  get idle(): boolean {
    return this.pending === 0 && this.reserved < 0;
  }

  private advance(): void {
    this.head = (this.head + this.pending) % this.txFrames;
    this.pending = 0;
    this.reserved = -1;
  }
}

/**
 * The kernel's dev_valid_name(): 1 to 15 BYTES (IFNAMSIZ less the NUL, so a 15-character
 * UTF-8 name can be too long), not '.' or '..', no '/', ':' or byte the kernel counts as
 * white space (isspace() on each byte, 0xa0 included: it is inside many UTF-8 letters).
 * The native side asserts the length, so nothing longer may reach it.
 */
export function validInterfaceName(name: unknown): name is string {
  if (typeof name !== 'string' || name === '.' || name === '..') return false;
  const b = Buffer.from(name, 'utf8');
  if (b.length === 0 || b.length > 15) return false;
  for (const c of b) if (c <= 0x20 || c === 0x7f || c === 0xa0 || c === 0x2f || c === 0x3a || (c >= 0x09 && c <= 0x0d)) return false;
  return true;
}

export class Ring {
  /** Filled by the addon: read these directly, no call needed. */
  private readonly stats: Float64Array;
  private readonly batch: RingBatch;
  private readonly handle: RingHandle;
  private readonly native: NativeBinding;
  private closed = false;
  private running = false;
  readonly tx: TxWriter;
  private readonly txImpl: RingTx;
  /** Whether frames are copied (no external buffers) rather than viewed in place. */
  readonly copied: boolean;
  readonly rxFrames: number;
  readonly txFrames: number;
  readonly frameSize: number;
  readonly batchLimit: number;
  /** TPACKET version of the RX ring. */
  readonly tpacketVersion: 2 | 3;

  private constructor(
    readonly ifname: string,
    readonly ifindex: number,
    /** Interface MAC as a 48-bit number (0 when the device has no Ethernet address). */
    readonly mac: number,
    native: NativeBinding,
    opened: ReturnType<NativeBinding['ring_open']>,
    desc: Uint32Array,
    stats: Float64Array,
    frameSize: number,
    batchLimit: number,
  ) {
    this.native = native;
    this.handle = opened.handle;
    this.stats = stats;
    this.copied = opened.copied;
    this.rxFrames = opened.rxFrames;
    this.txFrames = opened.txFrames;
    this.frameSize = frameSize;
    this.batchLimit = batchLimit;
    this.tpacketVersion = opened.version;
    const buf = new Uint8Array(opened.buf);
    this.batch = new RingBatch(buf, desc);
    this.txImpl = new RingTx(native, opened.handle, buf, stats, opened.txBase, frameSize, opened.txFrames, opened.txDataOffset, opened.txStatusOffset, opened.txLenOffset, opened.copied);
    this.tx = this.txImpl;
  }

  /**
   * Opens a socket on `ifname`: socket(AF_PACKET, SOCK_RAW, 0), filter, rings, one mmap,
   * then bind with ETH_P_ALL. Throws an Error with `.code` (ENODEV, EPERM, ...) naming the
   * step and the interface.
   */
  static open(ifname: string, options: RingOptions = {}): Ring {
    if (!validInterfaceName(ifname)) {
      throw new TypeError(`Expected an interface name of 1 to 15 bytes without spaces, control characters, '/' or ':' but received ${JSON.stringify(ifname)}`);
    }
    if (options === null || typeof options !== 'object') throw new TypeError(`Expected an options object but received ${String(options)}`);
    const frameSize = expectInt('frameSize', options.frameSize ?? DEFAULTS.frameSize, 128, 65536);
    if ((frameSize & (frameSize - 1)) !== 0) throw new RangeError(`Expected a power of two for frameSize but received ${frameSize}`);
    const rxFrames = expectInt('rxFrames', options.rxFrames ?? DEFAULTS.rxFrames, 1, 1 << 20);
    const txFrames = expectInt('txFrames', options.txFrames ?? DEFAULTS.txFrames, 1, 1 << 20);
    const batchLimit = expectInt('batchLimit', options.batchLimit ?? DEFAULTS.batchLimit, 1, 65536);
    let netns = '';
    if (options.netns !== undefined) {
      if (typeof options.netns !== 'string' || !options.netns.startsWith('/')) {
        throw new TypeError(`Expected an absolute path such as /run/netns/NAME for netns but received ${String(options.netns)}`);
      }
      netns = options.netns;
    }
    const { fanout, fanoutProgram } = packFanout(options.fanout, expectInt, expectBool);
    const version = options.tpacketVersion ?? 2;
    if (version !== 2 && version !== 3) throw new RangeError(`Expected 2 or 3 for tpacketVersion but received ${String(version)}`);
    const blockSize = expectInt('blockSize', options.blockSize ?? Math.max(65536, frameSize), frameSize, 1 << 26);
    if (blockSize % 4096 !== 0) throw new RangeError(`Expected a multiple of 4096 for blockSize but received ${blockSize}`);
    const blockTimeoutMs = expectInt('blockTimeoutMs', options.blockTimeoutMs ?? 1, 1, 1000);
    const filter = packFilter(options.filter ?? ARP_AND_NS_FILTER);
    const native = binding();
    const desc = new Uint32Array(batchLimit * DESC_STRIDE);
    const stats = new Float64Array(STAT_COUNT);
    const opened = native.ring_open(
      ifname,
      netns,
      filter,
      {
        frameSize,
        rxFrames,
        txFrames,
        batchLimit,
        promisc: expectBool('promisc', options.promisc),
        allmulti: expectBool('allmulti', options.allmulti),
        qdiscBypass: expectBool('qdiscBypass', options.qdiscBypass),
        linearTx: options.linearTx === undefined || expectBool('linearTx', options.linearTx),
        copy: expectBool('copy', options.copy),
        hasFanout: options.fanout !== undefined,
        fanout,
        fanoutProgram,
        version,
        blockSize,
        blockTimeoutMs,
      },
      desc,
      stats,
    );
    const mac = opened.macHi * 0x100000000 + opened.macLo;
    return new Ring(ifname, opened.ifindex, mac, native, opened, desc, stats, frameSize, batchLimit);
  }

  /** Delivers batches to `handler` from the event loop until stop() or close(). */
  start(handler: BatchHandler): void {
    this.assertOpen();
    if (typeof handler !== 'function') throw new TypeError(`Expected a function for handler but received ${typeof handler}`);
    const batch = this.batch;
    const tx = this.txImpl;
    this.native.ring_start(this.handle, (count: number): number => {
      batch.count = count;
      tx.inBatch = true;
      try {
        handler(batch, tx);
      } finally {
        tx.inBatch = false;
      }
      return tx.take();
    });
    this.running = true;
  }

  /** Stops delivering batches; frames keep queueing in the ring (and are dropped, counted, when it is full). */
  stop(): void {
    if (this.closed || !this.running) return;
    this.native.ring_stop(this.handle);
    this.running = false;
  }

  /** Replaces the kernel filter on the live socket (atomic in the kernel). */
  setFilter(program: BpfProgram): void {
    this.assertOpen();
    this.native.ring_set_filter(this.handle, packFilter(program));
  }

  /** Accumulated counters; polls PACKET_STATISTICS (read-and-reset in the kernel) into the stats block first. */
  counters(): RingCounters {
    if (!this.closed) this.native.ring_stats(this.handle);
    const s = this.stats;
    return {
      framesReceived: s[STAT_FRAMES]!,
      batches: s[STAT_BATCHES]!,
      repliesSent: s[STAT_SENT]!,
      txRingFull: s[STAT_TX_FULL]!,
      kernelDrops: s[STAT_KDROPS]!,
      kernelFreezes: s[STAT_KFREEZES]!,
      kernelPackets: s[STAT_KPACKETS]!,
      txErrors: s[STAT_TX_ERRORS]!,
      socketErrors: s[STAT_SOCK_ERRORS]!,
    };
  }

  /** Send errors (also in counters()) and poll wake-ups, without a PACKET_STATISTICS poll. */
  get txErrors(): number {
    return this.stats[STAT_TX_ERRORS]!;
  }
  get wakeups(): number {
    return this.stats[STAT_WAKEUPS]!;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Unmaps and frees everything; the views in batch.buf / tx.buf become empty. Closing twice is harmless. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.running = false;
    this.native.ring_close(this.handle);
  }

  /** @internal for the load generator: the native handle and TX ownership. */
  claimTx(): { native: NativeBinding; handle: RingHandle; release(sent: number): void } {
    this.assertOpen();
    if (this.txImpl.locked) throw new Error(`a load generator already runs on ${this.ifname}`);
    if (!this.txImpl.idle) throw new Error(`TX ring of ${this.ifname} has uncommitted or unsent frames`);
    this.txImpl.locked = true;
    return {
      native: this.native,
      handle: this.handle,
      release: (sent: number) => {
        this.txImpl.skip(sent);
        this.txImpl.locked = false;
      },
    };
  }

  private assertOpen(): void {
    if (this.closed) {
      const e = new Error(`ring ${this.ifname} is closed`) as Error & { code: string };
      e.code = 'ERR_RING_CLOSED';
      throw e;
    }
  }
}
