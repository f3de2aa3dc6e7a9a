// The wire pipeline under fuzz: random and mutated ARP/NS/NA frames (VLAN and QinQ tags,
// truncations, extra and hostile ND options, group/zero MACs in SLLAO/TLLAO) through the
// real parser, Policy and builders, as the daemon runs them (Pipeline + RingOutput).
// Two identical rigs see the same frames placed in buffers whose bytes around the frames
// differ: any read outside a frame that changes anything shows as a difference in what
// they send. Every frame sent must parse as a well-formed ARP/ND frame from our MAC, and
// an answer never carries a group or zero MAC. Deterministic from a seed (mulberry32):
// a failure names the seed, the frame number and the frame's bytes.
import { parseConfig } from '../../src/config';
import { DESC_LENGTH, DESC_OFFSET, DESC_STRIDE, DESC_VLAN_TCI, VLAN_NONE, type Batch, type TxWriter } from '../../src/engine/types';
import { parseIp4, parseIp6, solicitedNode6, type Ip6 } from '../../src/net/addr';
import { RingOutput } from '../../src/pipeline/output';
import { IfaceSlot, Pipeline } from '../../src/pipeline/pipeline';
import { InterfaceStats } from '../../src/pipeline/stats';
import { Policy } from '../../src/policy';
import type { PolicyEnvironment } from '../../src/policy/types';
import {
  FrameKind, FrameView, buildArpReply, buildArpRequest, buildNeighborAdvertisement, buildNeighborSolicitation, parseFrame, qinqTag,
  vlanTci, writeIcmp6Checksum,
} from '../../src/wire';

/** mulberry32: small, fast, and the same sequence from the same seed everywhere. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const OUR_MAC = 0x02005e0053fe;
const HOSTS = [0x02005e005301, 0x02005e005302, 0x02005e005303, 0x02005e005304, 0x02005e005305, 0x02005e005306];
/** MACs the issue saw learned: broadcast, IPv6 all-nodes, zero, an IPv4 multicast one, ours. */
export const HOSTILE_MACS = [0xffffffffffff, 0x333300000001, 0, 0x01005e000001, OUR_MAC];

/** Rules of every action kind, a static, a pin, a delay rule, every VLAN, a small cache (evictions). */
export const FUZZ_CONFIG = `cache
 timeout 30
 tablesize 64
 refresh 2*1
 delay 2*3
end
interface fz0
 vlan any
 pin 198.51.100.9 2001:db8::9
 static 198.51.100.5 02:00:5e:00:53:55 announce
 static 2001:db8::5 02:00:5e:00:53:56
 rule 192.0.2.0/24 198.51.100.0/28 tell
 rule 192.0.2.0/24 198.51.100.16/28 self
 rule 0.0.0.0/0 198.51.100.32/28 198.51.100.9
 rule 0.0.0.0/0 198.51.100.48/28 delay 02:00:5e:00:53:77
 rule 0.0.0.0/0 203.0.113.0/24 template 02:00:5e:00:00:00/8
 rule 0.0.0.0/0 198.51.100.0/24 ignore
 rule ::/0 2001:db8::/120 tell
 rule ::/0 2001:db8::100/120 self
 rule ::/0 2001:db8::200/120 2001:db8::9
 rule ::/0 2001:db8::300/120 template 02:00:5e:00:00:00/8
end
`;

const OWN4 = parseIp4('192.0.2.254')!;
const V4 = ['198.51.100.1', '198.51.100.2', '198.51.100.5', '198.51.100.9', '198.51.100.17', '198.51.100.33', '198.51.100.49', '198.51.100.60',
  '203.0.113.7', '192.0.2.10', '192.0.2.11', '0.0.0.0'].map((s) => parseIp4(s)!);
const V6 = ['2001:db8::1', '2001:db8::2', '2001:db8::5', '2001:db8::9', '2001:db8::101', '2001:db8::201', '2001:db8::301', '2001:db8::ff:1',
  'fe80::1', 'fe80::2', '::', 'ff02::1'].map((s) => parseIp6(s)!);

const LL = parseIp6('fe80::fe')!;
const ALL_NODES = parseIp6('ff02::1')!;

class FuzzEnv implements PolicyEnvironment {
  interfaceMac(): number { return OUR_MAC; }
  isOwnIp4(_i: number, ip: number): boolean { return ip === OWN4; }
  isOwnIp6(): boolean { return false; }
  sourceIp4(): number { return OWN4; }
  sourceIp6(_i: number, out: Ip6): boolean { out.set(LL!); return true; }
  routeInterface(): string | undefined { return 'up0'; }
}

/** A TX writer that keeps the frames committed since the last take(). */
class CollectTx implements TxWriter {
  readonly buf = new Uint8Array(64 * 512);
  readonly slotSize = 512;
  frames: Uint8Array[] = [];
  private next = 0;
  reserve(): number {
    if (this.next >= 64) return -1;
    return this.next * this.slotSize;
  }
  commit(length: number): void {
    if (length <= 0 || length > this.slotSize) throw new Error(`commit of ${length} bytes`);
    this.frames.push(this.buf.slice(this.next * this.slotSize, this.next * this.slotSize + length));
    this.next++;
  }
  flush(): number { return 0; }
  take(): Uint8Array[] {
    const f = this.frames;
    this.frames = [];
    this.next = 0;
    return f;
  }
}

class Rig {
  readonly tx = new CollectTx();
  readonly pipeline: Pipeline;
  readonly policy: Policy;
  now = 1;
  constructor() {
    const { config } = parseConfig(FUZZ_CONFIG, 'fuzz.conf');
    const output = new RingOutput();
    this.policy = new Policy({ config, env: new FuzzEnv(), output });
    this.pipeline = new Pipeline(this.policy, () => this.now);
    const slot = new IfaceSlot('fz0', 0, new InterfaceStats('fz0'));
    slot.tx = this.tx;
    slot.mac = OUR_MAC;
    slot.linkLocal.set(LL!);
    this.pipeline.configure(config, [slot]);
    output.slots = this.pipeline.slots;
  }
}

const pick = <T>(r: () => number, a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
const mac = (r: () => number): number => (r() < 0.12 ? pick(r, HOSTILE_MACS) : pick(r, HOSTS));
const vlanOf = (r: () => number): number => {
  const x = r();
  if (x < 0.5) return -1;
  if (x < 0.85) return vlanTci(Math.floor(r() * 4096), Math.floor(r() * 8));
  return qinqTag(vlanTci(Math.floor(r() * 4096)), vlanTci(Math.floor(r() * 4096)));
};

/** ND options appended to an NS/NA: link-layer ones with any MAC, zero-length, nonce, unknown, odd. */
function appendOptions(r: () => number, f: Uint8Array, n: number, l3: number): number {
  const count = Math.floor(r() * 3);
  for (let i = 0; i < count && n + 16 <= f.length; i++) {
    const type = pick(r, [1, 2, 14, 5, 0, 255]);
    const len = r() < 0.1 ? 0 : r() < 0.8 ? 1 : 2;
    f[n] = type;
    f[n + 1] = len;
    const m = mac(r);
    for (let b = 0; b < 6; b++) f[n + 2 + b] = Math.floor(m / 2 ** (8 * (5 - b))) & 255;
    n += len === 0 ? 8 : len * 8;
  }
  const payload = n - l3 - 40;
  f[l3 + 4] = payload >> 8;
  f[l3 + 5] = payload & 255;
  writeIcmp6Checksum(f, l3, l3 + 40, payload);
  return n;
}

const scratchFrame = new Uint8Array(200);
const scratchGroup = new Uint32Array(4);

/**
 * One frame: a valid ARP/NS/NA from the pools, then perhaps options, byte changes, a cut or
 * a tail. Written into a scratch buffer (valid until the next call); returns its length
 * and the out-of-band VLAN TCI to deliver it with.
 */
export function makeFrame(r: () => number): { bytes: Uint8Array; tci: number } {
  const f = scratchFrame;
  f.fill(0);
  const vlan = vlanOf(r);
  const l3 = vlan < 0 ? 14 : vlan > 0xffff ? 22 : 18;
  const a = mac(r);
  let n: number;
  const kind = Math.floor(r() * 6);
  if (kind <= 1) {
    const sip = pick(r, V4);
    const tip = r() < 0.25 ? sip : pick(r, V4); // gratuitous
    n = kind === 0 ? buildArpRequest(f, 0, vlan, r() < 0.8 ? 0xffffffffffff : OUR_MAC, a, sip, tip)
      : buildArpReply(f, 0, vlan, a, r() < 0.5 ? OUR_MAC : mac(r), tip, a, sip);
  } else {
    const src = pick(r, V6);
    const target = pick(r, V6);
    if (kind <= 3) {
      const dst = r() < 0.7 ? solicitedNode6(target, scratchGroup) : target;
      const dstMac = r() < 0.7 ? 0x3333ff000000 + (dst[3]! & 0xffffff) : OUR_MAC;
      n = buildNeighborSolicitation(f, 0, vlan, a, dstMac, src, dst, target, r() < 0.6 ? mac(r) : -1);
    } else {
      const dst = r() < 0.6 ? ALL_NODES : pick(r, V6);
      n = buildNeighborAdvertisement(f, 0, vlan, a, r() < 0.6 ? 0x333300000001 : OUR_MAC, target, dst, target, mac(r), Math.floor(r() * 8));
    }
    if (r() < 0.4) n = appendOptions(r, f, n, l3);
  }
  const edits = r() < 0.5 ? 0 : 1 + Math.floor(r() * 4);
  for (let i = 0; i < edits; i++) f[Math.floor(r() * n)] = Math.floor(r() * 256);
  const cut = r();
  if (cut < 0.15) n = Math.floor(r() * n);
  else if (cut < 0.25) n = Math.min(f.length, n + 1 + Math.floor(r() * 40));
  const tci = r() < 0.15 ? Math.floor(r() * 0x10000) : VLAN_NONE;
  return { bytes: f.subarray(0, n), tci };
}

/** Unicast and not zero, written out here rather than taken from the guard under test. */
const unicast = (m: number): boolean => m !== 0 && (Math.floor(m / 2 ** 40) & 1) === 0;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** What must hold of every frame we send. Returns a complaint or null. */
export function checkSent(frame: Uint8Array): string | null {
  const v = new FrameView();
  const kind = parseFrame(frame, 0, frame.length, VLAN_NONE, v);
  if (kind === FrameKind.None) return `we sent a frame our parser drops (reason ${v.drop})`;
  if (v.ethSrc !== OUR_MAC && !(kind === FrameKind.ArpRequest && v.senderIp === v.targetIp)) return 'a frame not from our MAC';
  if (kind === FrameKind.ArpReply && !unicast(v.senderMac)) return `an ARP reply with answer MAC ${v.senderMac.toString(16)}`;
  if (kind === FrameKind.NeighborAdvertisement && !unicast(v.targetLinkAddr)) return `an NA with TLLAO ${v.targetLinkAddr.toString(16)}`;
  return null;
}

export interface FuzzResult {
  frames: number;
  sent: number;
  answers: number;
}

export class FuzzFailure extends Error {
  constructor(readonly seed: number, readonly frameNo: number, readonly input: string, why: string) {
    super(`wire fuzz seed ${seed}, frame ${frameNo}: ${why}\n  input (hex): ${input}`);
  }
}

const BATCH = 16;

/** Runs `frames` fuzzed frames from `seed` through two rigs; throws FuzzFailure on the first fault. */
export function fuzzWire(seed: number, frames: number): FuzzResult {
  const r = rng(seed);
  const a = new Rig();
  const b = new Rig();
  const bufA = new Uint8Array(BATCH * 256);
  const bufB = new Uint8Array(BATCH * 256);
  const desc = new Uint32Array(BATCH * DESC_STRIDE);
  let sent = 0;
  for (let done = 0; done < frames; done += BATCH) {
    const count = Math.min(BATCH, frames - done);
    bufA.fill(0);
    bufB.fill(0xa5); // what lies around the frames differs between the two rigs
    for (let i = 0; i < count; i++) {
      const { bytes, tci } = makeFrame(r);
      const off = i * 256 + 8 + Math.floor(r() * 8);
      bufA.set(bytes, off);
      bufB.set(bytes, off);
      desc[i * DESC_STRIDE + DESC_OFFSET] = off;
      desc[i * DESC_STRIDE + DESC_LENGTH] = bytes.length;
      desc[i * DESC_STRIDE + DESC_VLAN_TCI] = tci;
    }
    const where = (why: string): FuzzFailure => {
      const inputs: string[] = [];
      for (let i = 0; i < count; i++) {
        const off = desc[i * DESC_STRIDE + DESC_OFFSET]!;
        inputs.push(`${hex(bufA.subarray(off, off + desc[i * DESC_STRIDE + DESC_LENGTH]!))}@tci=${desc[i * DESC_STRIDE + DESC_VLAN_TCI]}`);
      }
      return new FuzzFailure(seed, done, inputs.join(' '), why);
    };
    for (const [rig, buf] of [[a, bufA], [b, bufB]] as const) {
      const batch: Batch = { count, buf, desc };
      try {
        rig.pipeline.onBatch(0, batch, rig.tx);
        if (done % (BATCH * 8) === 0) {
          rig.now += 0.25;
          rig.policy.tick(rig.now);
        }
      } catch (err) {
        throw where(`threw ${(err as Error).stack ?? err} (the batch's frames follow)`);
      }
    }
    const outA = a.tx.take();
    const outB = b.tx.take();
    if (outA.length !== outB.length || outA.some((f, i) => hex(f) !== hex(outB[i]!))) {
      throw where(`the bytes around the frames changed what was sent (${outA.length} vs ${outB.length} frames): a read outside a frame`);
    }
    for (const f of outA) {
      const bad = checkSent(f);
      if (bad) throw where(`${bad}: ${hex(f)}`);
    }
    sent += outA.length;
  }
  return { frames, sent, answers: a.policy.answers };
}

/** Feeds frames (hex) one per batch, 0.1 s apart, through one rig; the frames sent after each, as hex. */
export function runFrames(frames: readonly string[]): string[][] {
  const rig = new Rig();
  const buf = new Uint8Array(512);
  const desc = new Uint32Array(DESC_STRIDE);
  return frames.map((h) => {
    const bytes = Buffer.from(h.replace(/\s+/g, ''), 'hex');
    buf.fill(0);
    buf.set(bytes, 16);
    desc[DESC_OFFSET] = 16;
    desc[DESC_LENGTH] = bytes.length;
    desc[DESC_VLAN_TCI] = VLAN_NONE;
    rig.now += 0.1;
    rig.pipeline.onBatch(0, { count: 1, buf, desc }, rig.tx);
    return rig.tx.take().map((f) => {
      const bad = checkSent(f);
      if (bad) throw new Error(`${bad}: ${hex(f)}`);
      return hex(f);
    });
  });
}
