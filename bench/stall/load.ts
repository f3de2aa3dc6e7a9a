// Shared by bench/stall and test/daemon/zeroloss.test.ts: the requests (NS from fe80::1,
// ARP from 198.51.100.2, for N targets of a `self` rule), the daemon's configuration, and
// a counter of the answers seen on the generator's side.
import { ARP_REPLY_AND_NA_FILTER } from '../../src/engine/filters';
import { Ring } from '../../src/engine/ring';
import { DESC_LENGTH, DESC_OFFSET, DESC_STRIDE, type Batch } from '../../src/engine/types';
import { parseIp4, parseIp6 } from '../../src/net/addr';
import { buildArpRequest, buildNsResolve } from '../../src/wire/build';

export const GEN_MAC = 0x00005e005301;
export const NS_TARGET_BASE = '2001:db8:2::';
const ARP_TARGET_BASE = 0xc6336480; // 198.51.100.128

export type Family = 'ns' | 'arp';

/** The request of a family for target t: from fe80::1 / 198.51.100.2, padded to 60 bytes. */
export function requestFrame(f: Family, t = 0): Uint8Array {
  const b = new Uint8Array(128);
  const len = f === 'ns'
    ? buildNsResolve(b, 0, -1, GEN_MAC, parseIp6('fe80::1')!, parseIp6(`${NS_TARGET_BASE}${(t + 1).toString(16)}`)!)
    : buildArpRequest(b, 0, -1, 0xffffffffffff, GEN_MAC, parseIp4('198.51.100.2')!, ARP_TARGET_BASE + t);
  return b.slice(0, Math.max(len, 60));
}

export function responderConfig(targets: number): string {
  const lines = ['interface c0'];
  for (let t = 0; t < targets; t++) {
    lines.push(` rule ::/0 ${NS_TARGET_BASE}${(t + 1).toString(16)} self`);
    const a = ARP_TARGET_BASE + t;
    lines.push(` rule 0.0.0.0/0 198.51.100.${a & 255} self`);
  }
  lines.push('end', '');
  return lines.join('\n');
}

/** Replies (ARP replies and NAs) seen on the generator's interface. */
export class ReplyCounter {
  readonly ring: Ring;
  arp = 0;
  na = 0;
  constructor(netns: string, ifname: string) {
    this.ring = Ring.open(ifname, { netns, filter: ARP_REPLY_AND_NA_FILTER, rxFrames: 1 << 16, txFrames: 1, frameSize: 256, batchLimit: 512 });
    this.ring.start((b: Batch) => {
      for (let k = 0; k < b.count; k++) {
        const o = b.desc[k * DESC_STRIDE + DESC_OFFSET]!;
        if (b.desc[k * DESC_STRIDE + DESC_LENGTH]! < 14) continue;
        const type = (b.buf[o + 12]! << 8) | b.buf[o + 13]!;
        if (type === 0x0806) this.arp++;
        else if (type === 0x86dd) this.na++;
      }
    });
  }
  get drops(): number {
    return this.ring.counters().kernelDrops;
  }
  close(): void {
    this.ring.close();
  }
}
