// First end-to-end proof: a minimal static responder on the ring (replies built by hand
// here; the real wire module lives elsewhere) answers ARP for one IPv4 address and NS
// for one IPv6 address, and the Linux kernel in the peer namespace resolves both.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { needsNetns, waitFor } from '../helpers/netns';
import { formatMac } from '../../src/net/addr';
import { DESC_LENGTH, DESC_OFFSET, DESC_STRIDE, type Batch, type TxWriter } from '../../src/engine/types';
import { arp, ip4, ip6, na } from './fixtures/frames';
import { Pair } from './fixtures/pair';

const skip = needsNetns();
const PROXIED4 = '192.0.2.10';
const PROXIED6 = '2001:db8::10';

function equalAt(buf: Uint8Array, off: number, bytes: number[]): boolean {
  for (let i = 0; i < bytes.length; i++) if (buf[off + i] !== bytes[i]) return false;
  return true;
}

describe('static responder', { skip, timeout: 20000 }, () => {
  let pair: Pair;
  before(() => {
    pair = new Pair('rs');
    pair.lab.exec(pair.b, 'ip', ['addr', 'add', '192.0.2.1/24', 'dev', 'vb']);
    pair.lab.exec(pair.b, 'ip', ['addr', 'add', '2001:db8::1/64', 'dev', 'vb', 'nodad']);
  });
  after(() => pair?.destroy());

  test('the peer kernel resolves a proxied IPv4 and IPv6 address to our MAC', async () => {
    const ring = pair.open('va', 'a');
    const ours = ring.mac;
    const ourMac = Array.from({ length: 6 }, (_, i) => Math.floor(ours / 2 ** (8 * (5 - i))) % 256);
    const p4 = ip4(PROXIED4);
    const p6 = ip6(PROXIED6);
    const answered = { arp: 0, ns: 0 };
    const reply = (tx: TxWriter, frame: Uint8Array) => {
      const off = tx.reserve();
      if (off < 0) return;
      tx.buf.set(frame, off);
      tx.commit(frame.length);
    };
    ring.start((batch: Batch, tx: TxWriter) => {
      const b = batch.buf;
      for (let i = 0; i < batch.count; i++) {
        const o = batch.desc[i * DESC_STRIDE + DESC_OFFSET]!;
        if (batch.desc[i * DESC_STRIDE + DESC_LENGTH]! < 42) continue;
        const type = (b[o + 12]! << 8) | b[o + 13]!;
        if (type === 0x0806 && b[o + 21] === 1 && equalAt(b, o + 38, p4)) {
          const sha = Array.from(b.subarray(o + 22, o + 28));
          const spa = Array.from(b.subarray(o + 28, o + 32));
          reply(tx, arp(2, ourMac, p4, sha, spa, sha));
          answered.arp++;
        } else if (type === 0x86dd && b[o + 20] === 58 && b[o + 54] === 135 && equalAt(b, o + 62, p6)) {
          const src = Array.from(b.subarray(o + 22, o + 38));
          if (src.every((x) => x === 0)) continue; // DAD probe: stay silent
          const srcMac = Array.from(b.subarray(o + 6, o + 12));
          reply(tx, na(ourMac, srcMac, p6, src, p6));
          answered.ns++;
        }
      }
    });
    // The peer's kernel resolves the next hop when a datagram is sent to each address.
    const script = `const d = require('dgram');
      for (const [fam, addr] of [['udp4', '${PROXIED4}'], ['udp6', '${PROXIED6}']]) {
        const s = d.createSocket(fam); s.send('neighproxy', 9, addr, () => s.close());
      }`;
    pair.lab.exec(pair.b, process.execPath, ['-e', script]);
    const want = formatMac(ours);
    const resolved = () => {
      const n = pair.lab.neighbours(pair.b, 'vb');
      return n.get(PROXIED4) === want && n.get(PROXIED6) === want;
    };
    assert.ok(await waitFor(resolved, 5000, 50), `ip neigh in the peer: ${JSON.stringify([...pair.lab.neighbours(pair.b, 'vb')])}; answered ${JSON.stringify(answered)}`);
    assert.ok(answered.arp >= 1 && answered.ns >= 1);
    assert.equal(ring.counters().repliesSent, answered.arp + answered.ns);
    ring.close();
  });
});
