// The ring engine against real kernels: veth pairs in network namespaces, frames built
// by hand, every byte compared. Bounded: each test sends a fixed number of frames and
// waits at most a few seconds.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { needsNetns, waitFor } from '../helpers/netns';
import { nobodySkipReason, readableRoot } from '../helpers/unprivileged';
import { ARP_REPLY_AND_NA_FILTER, neighFilter } from '../../src/engine/filters';
import { generate } from '../../src/engine/generator';
import { Ring, validInterfaceName, type RingOptions } from '../../src/engine/ring';
import { DESC_PKT_TYPE, DESC_STRIDE, DESC_TS_SEC, DESC_VLAN_TCI, DESC_VLAN_TPID, DESC_WIRE_LENGTH, VLAN_NONE, type Batch } from '../../src/engine/types';
import { arp, echo6, ip4, ip6, mac, na, ns, udp4 } from './fixtures/frames';
import { MAC_A, MAC_B, Pair, frameOf, hex, send, vethTxDropped } from './fixtures/pair';

const skip = needsNetns();
const ZERO = [0, 0, 0, 0, 0, 0];
const PACKET_BROADCAST = 1;
const PACKET_HOST = 0;

const arpRequest = (target = '192.0.2.1', vlan?: number) =>
  arp(1, mac(MAC_B), ip4('192.0.2.2'), ZERO, ip4(target), undefined, vlan);

const MODES: Array<{ copy: boolean; version: 2 | 3 }> = [
  { copy: false, version: 2 },
  { copy: true, version: 2 },
  { copy: false, version: 3 },
];
for (const { copy, version } of MODES) {
  describe(`ring (TPACKET_V${version}, ${copy ? 'copying fallback' : 'zero copy'})`, { skip, timeout: 20000 }, () => {
    let pair: Pair;
    before(() => {
      pair = new Pair(`${copy ? 'cp' : 'zc'}${version}`);
    });
    after(() => pair?.destroy());

    test('a frame sent by the peer arrives in a batch with exactly its bytes', async () => {
      const ring = pair.open('va', 'a', { copy, tpacketVersion: version });
      assert.equal(ring.copied, copy);
      assert.equal(ring.tpacketVersion, version);
      assert.equal(ring.mac, 0x02005e00530a);
      assert.ok(ring.ifindex > 0);
      const got: Uint8Array[] = [];
      const meta: number[][] = [];
      ring.start((batch) => {
        for (let i = 0; i < batch.count; i++) {
          got.push(frameOf(batch, i));
          meta.push(Array.from(batch.desc.subarray(i * DESC_STRIDE, (i + 1) * DESC_STRIDE)));
        }
      });
      const frame = arpRequest();
      send(pair.sender(), [frame]);
      assert.ok(await waitFor(() => got.length >= 1, 2000), 'frame did not arrive');
      assert.equal(got.length, 1);
      assert.equal(hex(got[0]!), hex(frame));
      assert.equal(meta[0]![DESC_VLAN_TCI], VLAN_NONE);
      assert.equal(meta[0]![DESC_VLAN_TPID], 0);
      assert.equal(meta[0]![DESC_PKT_TYPE], PACKET_BROADCAST);
      assert.equal(meta[0]![DESC_WIRE_LENGTH], frame.length);
      assert.ok(Math.abs(meta[0]![DESC_TS_SEC]! - Date.now() / 1000) < 60, 'timestamp is wall-clock seconds');
      const c = ring.counters();
      assert.equal(c.framesReceived, 1);
      assert.equal(c.batches, 1);
      assert.equal(c.kernelPackets, 1);
      ring.close();
    });

    test('frames the filter rejects never reach JS', async () => {
      const ring = pair.open('va', 'a', { copy, tpacketVersion: version });
      const seen: string[] = [];
      ring.start((batch) => {
        for (let i = 0; i < batch.count; i++) seen.push(hex(frameOf(batch, i)));
      });
      const a6 = ip6('2001:db8::a'), b6 = ip6('2001:db8::b');
      const rejected = [
        udp4(mac(MAC_B), mac(MAC_A), ip4('192.0.2.2'), ip4('192.0.2.1')),
        echo6(mac(MAC_B), mac(MAC_A), b6, a6),
        na(mac(MAC_B), mac(MAC_A), b6, a6, b6),
      ];
      const accepted = [ns(mac(MAC_B), b6, a6), arpRequest('192.0.2.77')];
      // Frames on a veth arrive in order: once the last accepted one is in, the rejected ones had their chance.
      send(pair.sender(), [...rejected, ...accepted]);
      assert.ok(await waitFor(() => seen.length >= accepted.length, 2000), 'accepted frames did not arrive');
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(seen, accepted.map(hex));
      assert.equal(ring.counters().kernelPackets, accepted.length, 'the kernel queued only what the filter passed');
      ring.close();
    });

    test('a reply written by the handler arrives at the peer byte for byte', async () => {
      const ring = pair.open('va', 'a', { copy, tpacketVersion: version });
      const reply = arp(2, mac(MAC_A), ip4('192.0.2.1'), mac(MAC_B), ip4('192.0.2.2'), mac(MAC_B));
      ring.start((batch, tx) => {
        for (let i = 0; i < batch.count; i++) {
          const off = tx.reserve();
          if (off < 0) continue;
          tx.buf.set(reply, off);
          tx.commit(reply.length);
        }
      });
      const peer = pair.open('vb', 'b', { filter: ARP_REPLY_AND_NA_FILTER, copy, tpacketVersion: version });
      const got: string[] = [];
      peer.start((batch) => {
        for (let i = 0; i < batch.count; i++) {
          got.push(hex(frameOf(batch, i)));
          assert.equal(batch.desc[i * DESC_STRIDE + DESC_PKT_TYPE], PACKET_HOST);
        }
      });
      send(pair.sender(), [arpRequest()]);
      assert.ok(await waitFor(() => got.length >= 1, 2000), 'reply did not arrive');
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(got, [hex(reply)]);
      assert.equal(ring.counters().repliesSent, 1);
      assert.equal(ring.counters().framesReceived, 1, 'our own reply did not come back to us (PACKET_IGNORE_OUTGOING)');
      ring.close();
      peer.close();
    });

    test('linear TX (default) and fragment TX send the same bytes; the slot leaves room for the virtio_net_hdr', async () => {
      const header = version === 2 ? 32 : 48;
      // Every frame to vb's MAC, in order (RET #0xffff: accept every frame whole; the
      // namespace's own multicast, MLD say, is left out by its destination).
      const peer = pair.open('vb', 'b', { filter: [{ code: 0x06, jt: 0, jf: 0, k: 0xffff }], copy, tpacketVersion: version, frameSize: 2048 });
      const got: string[] = [];
      const toB = hex(Uint8Array.from(mac(MAC_B)));
      peer.start((batch) => {
        for (let i = 0; i < batch.count; i++) {
          const f = hex(frameOf(batch, i));
          if (f.startsWith(toB)) got.push(f);
        }
      });
      const reply = arp(2, mac(MAC_A), ip4('192.0.2.1'), mac(MAC_B), ip4('192.0.2.2'), mac(MAC_B));
      const advert = na(mac(MAC_A), mac(MAC_B), ip6('fe80::a'), ip6('fe80::b'), ip6('2001:db8::1'));
      // Above the 512-byte linear bound: sent as before, MAC header in the head, the rest a fragment.
      const big = new Uint8Array(1000);
      big.set(udp4(mac(MAC_A), mac(MAC_B), ip4('192.0.2.1'), ip4('192.0.2.2')));
      const sent: string[] = [];
      for (const linearTx of [true, false, undefined]) {
        const ring = pair.open('va', 'a', { copy, tpacketVersion: version, frameSize: 2048, linearTx, filter: ARP_REPLY_AND_NA_FILTER });
        assert.equal(ring.tx.slotSize, 2048 - header - (linearTx === false ? 0 : 10), `slotSize with linearTx ${String(linearTx)}`);
        const edge = new Uint8Array(512);
        edge.set(reply);
        edge[511] = linearTx === false ? 0xf0 : 0x11; // last byte of a frame at the bound, copied
        const frames = [reply, advert, edge, big];
        send(ring, frames);
        sent.push(...frames.map(hex));
        assert.ok(await waitFor(() => got.length >= sent.length, 2000), `frames did not arrive (linearTx ${String(linearTx)})`);
        assert.equal(ring.counters().repliesSent, frames.length);
        ring.close();
      }
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(got, sent, 'byte for byte, no virtio_net_hdr on the wire');
      peer.close();
    });

    test('tx works outside a batch: reserve, commit, flush', async () => {
      const peer = pair.open('vb', 'b', { filter: ARP_REPLY_AND_NA_FILTER, copy, tpacketVersion: version });
      const got: string[] = [];
      peer.start((batch) => {
        for (let i = 0; i < batch.count; i++) got.push(hex(frameOf(batch, i)));
      });
      const ring = pair.open('va', 'a', { copy, txFrames: 8, tpacketVersion: version });
      const frames = Array.from({ length: 20 }, (_, i) => arp(2, mac(MAC_A), ip4(`192.0.2.${100 + i}`), mac(MAC_B), ip4('192.0.2.2'), mac(MAC_B)));
      // More frames than TX slots: reserve() says -1 when full (and counts it), flush() frees slots.
      let sent = 0;
      for (const f of frames) {
        let off = ring.tx.reserve();
        if (off < 0) {
          ring.tx.flush();
          await waitFor(() => ring.tx.reserve() >= 0, 1000, 1);
          off = ring.tx.reserve();
        }
        assert.ok(off >= 0);
        ring.tx.buf.set(f, off);
        ring.tx.commit(f.length);
        sent++;
      }
      assert.ok(ring.tx.flush() > 0);
      assert.ok(await waitFor(() => got.length >= sent, 2000), `only ${got.length} of ${sent} arrived`);
      assert.deepEqual(got, frames.map(hex));
      assert.ok(ring.counters().txRingFull > 0, 'the full TX ring was counted');
      assert.equal(ring.counters().repliesSent, frames.length);
      assert.throws(() => ring.tx.commit(10), /without a successful tx.reserve/);
      ring.close();
      peer.close();
    });
  });
}

describe('VLAN', { skip, timeout: 20000 }, () => {
  let pair: Pair;
  let vlanDevice = false;
  before(() => {
    pair = new Pair('vl');
    // The peer tags through a real VLAN device when the kernel has 8021q; otherwise it
    // writes the 802.1Q tag in-band itself (the receiving kernel strips it either way).
    try {
      pair.lab.exec(pair.b, 'ip', ['link', 'add', 'link', 'vb', 'name', 'vb.100', 'type', 'vlan', 'id', '100']);
      pair.lab.exec(pair.b, 'ip', ['link', 'set', 'vb.100', 'up']);
      vlanDevice = true;
    } catch {
      vlanDevice = false;
    }
  });
  after(() => pair?.destroy());

  /** Sends untagged frames on VLAN 100 of the peer. */
  function sendTagged(frames: Uint8Array[]): void {
    if (vlanDevice) return send(pair.sender('vb.100'), frames);
    send(
      pair.sender(),
      frames.map((f) => {
        const t = new Uint8Array(f.length + 4);
        t.set(f.subarray(0, 12));
        t.set([0x81, 0x00, 0x00, 100], 12);
        t.set(f.subarray(12), 16);
        return t;
      }),
    );
  }

  test('a VLAN-tagged ARP request arrives with its VLAN id', async () => {
    const ring = pair.open('va', 'a');
    const got: Array<{ bytes: string; tci: number; tpid: number }> = [];
    ring.start((batch) => {
      for (let i = 0; i < batch.count; i++) {
        got.push({ bytes: hex(frameOf(batch, i)), tci: batch.desc[i * DESC_STRIDE + DESC_VLAN_TCI]!, tpid: batch.desc[i * DESC_STRIDE + DESC_VLAN_TPID]! });
      }
    });
    const frame = arpRequest();
    sendTagged([frame]);
    assert.ok(await waitFor(() => got.length >= 1, 2000), 'tagged frame did not arrive');
    assert.equal(got.length, 1);
    assert.equal(got[0]!.tci & 0x0fff, 100);
    assert.equal(got[0]!.tpid, 0x8100);
    assert.equal(got[0]!.bytes, hex(frame), 'the kernel stripped the tag; the frame is as the peer wrote it');
    ring.close();
  });

  test('setFilter swaps the program on the live socket: untagged-only, then VLAN 100 only', async () => {
    const ring = pair.open('va', 'a');
    const tcis: number[] = [];
    ring.start((batch: Batch) => {
      for (let i = 0; i < batch.count; i++) tcis.push(batch.desc[i * DESC_STRIDE + DESC_VLAN_TCI]!);
    });
    const plain = pair.sender('vb');
    ring.setFilter(neighFilter({ arp: 'any', icmp6: 135, vlan: 'untagged' }));
    sendTagged([arpRequest('192.0.2.5')]);
    send(plain, [arpRequest('192.0.2.6')]);
    assert.ok(await waitFor(() => tcis.length >= 1, 2000));
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(tcis, [VLAN_NONE]);
    ring.setFilter(neighFilter({ arp: 'any', icmp6: 135, vlan: 100 }));
    send(plain, [arpRequest('192.0.2.7')]);
    sendTagged([arpRequest('192.0.2.8')]);
    assert.ok(await waitFor(() => tcis.length >= 2, 2000));
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(tcis.map((t) => (t === VLAN_NONE ? t : t & 0xfff)), [VLAN_NONE, 100]);
    ring.close();
  });

  test('a tag still in-band (802.1Q inside an 802.1ad outer tag) passes the default filter', async () => {
    const ring = pair.open('va', 'a');
    const got: Array<{ tci: number; tpid: number; bytes: string }> = [];
    ring.start((batch) => {
      for (let i = 0; i < batch.count; i++) {
        got.push({ tci: batch.desc[i * DESC_STRIDE + DESC_VLAN_TCI]!, tpid: batch.desc[i * DESC_STRIDE + DESC_VLAN_TPID]!, bytes: hex(frameOf(batch, i)) });
      }
    });
    // Outer S-tag 0x88a8 vid 10, inner C-tag 0x8100 vid 100: the kernel strips the outer one only.
    const inner = arpRequest('192.0.2.9', 100);
    const qinq = new Uint8Array(inner.length + 4);
    qinq.set(inner.subarray(0, 12));
    qinq.set([0x88, 0xa8, 0x00, 10], 12);
    qinq.set(inner.subarray(12), 16);
    send(pair.sender(), [qinq]);
    assert.ok(await waitFor(() => got.length >= 1, 2000), 'QinQ frame did not arrive');
    assert.equal(got[0]!.tci & 0xfff, 10);
    assert.equal(got[0]!.tpid, 0x88a8);
    assert.equal(got[0]!.bytes, hex(inner), 'inner tag stays in-band');
    ring.close();
  });
});

describe('load', { skip, timeout: 30000 }, () => {
  let pair: Pair;
  before(() => {
    pair = new Pair('ld');
  });
  after(() => pair?.destroy());

  for (const version of [2, 3] as const)
  test(`a burst of 100 000 requests: batches larger than one, every frame accounted for (TPACKET_V${version})`, async () => {
    const ring = pair.open('va', 'a', { rxFrames: 4096, tpacketVersion: version });
    let delivered = 0;
    let maxBatch = 0;
    ring.start((batch) => {
      delivered += batch.count;
      if (batch.count > maxBatch) maxBatch = batch.count;
    });
    const gen = pair.sender();
    const droppedBefore = vethTxDropped(pair);
    const res = await generate(gen, { templates: [arpRequest()], count: 100000, varySender: 250, varyTarget: 1000 });
    assert.equal(res.sent, 100000);
    const accounted = () => {
      const c = ring.counters();
      return c.framesReceived + c.kernelDrops + (vethTxDropped(pair) - droppedBefore);
    };
    assert.ok(await waitFor(() => accounted() >= 100000, 10000, 50), `accounted for ${accounted()} of 100000`);
    const c = ring.counters();
    const veth = vethTxDropped(pair) - droppedBefore;
    assert.equal(c.framesReceived, delivered, 'counter agrees with what JS saw');
    assert.equal(c.framesReceived + c.kernelDrops + veth, 100000, `delivered ${delivered} + ring drops ${c.kernelDrops} + veth drops ${veth}`);
    assert.equal(c.kernelPackets, c.framesReceived + c.kernelDrops, 'kernel count = delivered + dropped');
    assert.ok(maxBatch > 1, `largest batch ${maxBatch}`);
    assert.ok(c.batches < delivered, `${c.batches} batches for ${delivered} frames`);
    ring.close();
  });

  test('when the handler stalls, drops are counted, not hidden', async () => {
    const ring = pair.open('va', 'a', { rxFrames: 64, batchLimit: 16 });
    let delivered = 0;
    let stalled = false;
    ring.start((batch) => {
      delivered += batch.count;
      if (!stalled) {
        stalled = true;
        const end = Date.now() + 300;
        while (Date.now() < end) {
          /* a handler stuck for 300 ms while the peer floods */
        }
      }
    });
    const gen = pair.sender();
    const droppedBefore = vethTxDropped(pair);
    // The generator thread keeps sending while the event loop is stuck in the handler.
    const run = generate(gen, { templates: [arpRequest()], count: 5000, ratePps: 50000 });
    const res = await run;
    assert.equal(res.sent, 5000);
    await waitFor(() => ring.counters().framesReceived + ring.counters().kernelDrops + vethTxDropped(pair) - droppedBefore >= 5000, 5000, 50);
    const c = ring.counters();
    const veth = vethTxDropped(pair) - droppedBefore;
    assert.ok(stalled);
    assert.ok(c.kernelDrops > 0, 'ring overflow was counted');
    assert.equal(c.framesReceived, delivered);
    assert.equal(delivered + c.kernelDrops + veth, 5000);
    ring.close();
  });
});

describe('options and errors', { skip, timeout: 20000 }, () => {
  let pair: Pair;
  before(() => {
    pair = new Pair('op');
  });
  after(() => pair?.destroy());

  test('promisc, allmulti, qdisc bypass and a fanout group: frames are shared across the group', async () => {
    const opts = { promisc: true, allmulti: true, qdiscBypass: true, fanout: { group: 4242, mode: 'lb' as const } };
    const r1 = pair.open('va', 'a', opts);
    const r2 = pair.open('va', 'a', opts);
    let n1 = 0, n2 = 0;
    r1.start((b) => void (n1 += b.count));
    r2.start((b) => void (n2 += b.count));
    const link = pair.lab.exec(pair.a, 'ip', ['-d', 'link', 'show', 'va']);
    assert.match(link, /promiscuity 2 /);
    assert.match(link, /allmulti 2 /);
    send(pair.sender(), Array.from({ length: 20 }, (_, i) => arpRequest(`192.0.2.${10 + i}`)));
    assert.ok(await waitFor(() => n1 + n2 >= 20, 2000));
    assert.equal(n1 + n2, 20);
    assert.equal(n1, 10, 'lb fanout alternates');
    r1.close();
    r2.close();
    assert.match(pair.lab.exec(pair.a, 'ip', ['-d', 'link', 'show', 'va']), /promiscuity 0 /, 'membership left with the socket');
  });

  test('a missing interface throws ENODEV naming the step and the interface', () => {
    assert.throws(
      () => pair.open('nosuch9', 'a'),
      (e: Error & { code?: string }) => e.code === 'ENODEV' && /^ifindex nosuch9: ENODEV \(no such device\)$/.test(e.message),
    );
  });

  test('a missing namespace throws ENOENT at the netns step', () => {
    assert.throws(() => Ring_open('lo', { netns: '/run/netns/np-does-not-exist' }), (e: Error & { code?: string }) => e.code === 'ENOENT' && /^netns lo: ENOENT/.test(e.message));
  });

  test('without CAP_NET_RAW: EPERM, and the message says what is needed', { skip: nobodySkipReason() }, () => {
    const ring = join(readableRoot(), 'dist', 'src', 'engine', 'ring.js');
    const script = `try { require(${JSON.stringify(ring)}).Ring.open('lo'); console.log('opened'); } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
    const out = pair.lab.exec(pair.a, 'setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', process.execPath, '-e', script]);
    const r = JSON.parse(out) as { code: string; message: string };
    assert.equal(r.code, 'EPERM');
    assert.match(r.message, /^socket lo: EPERM .*CAP_NET_RAW/);
  });

  test('options are validated with precise messages', () => {
    assert.throws(() => Ring_open('va', { frameSize: 1000 }), /Expected a power of two for frameSize but received 1000/);
    assert.throws(() => Ring_open('va', { rxFrames: 0 }), /Expected integer between 1 and 1048576 for rxFrames but received 0 of type number/);
    assert.throws(() => Ring_open('', {}), /Expected an interface name/);
    // 15 characters, 16 bytes: used to reach the native assertion and abort the process.
    assert.throws(() => Ring_open('kunde-müller-01', {}), /Expected an interface name of 1 to 15 bytes/);
    assert.throws(() => Ring_open('ab\0c', {}), /Expected an interface name/);
    assert.throws(() => Ring_open('va', { netns: 'relative' }), /absolute path/);
    assert.throws(() => Ring_open('va', { fanout: { group: 1, mode: 'nope' as 'lb' } }), /fanout.mode/);
    assert.throws(() => Ring_open('va', { filter: [] }), /1 to 4096 instructions/);
    assert.throws(() => Ring_open('va', { filter: [{ code: 0x15, jt: 5, jf: 0, k: 0 }] }), /jump past the end/);
  });

  test("interface names as the kernel's dev_valid_name sees them: bytes, not characters", () => {
    for (const ok of ['eth0', 'kunde-müller-0', 'a'.repeat(15), 'br-lan.100']) assert.equal(validInterfaceName(ok), true, ok);
    // città ends in U+00E0, UTF-8 c3 a0: the kernel counts byte 0xa0 as white space.
    for (const bad of ['', '.', '..', 'a'.repeat(16), 'kunde-müller-01', 'città', 'a b', 'a/b', 'a:b', 'a\tb', 'a\0b', 42]) {
      assert.equal(validInterfaceName(bad), false, JSON.stringify(bad));
    }
  });

  test('close() unmaps: views empty, calls throw ERR_RING_CLOSED, closing twice is harmless', () => {
    const ring = pair.open('va', 'a');
    const buf = ring.tx.buf;
    assert.ok(buf.byteLength > 0);
    ring.close();
    ring.close();
    assert.equal(buf.byteLength, 0, 'the view over the mapping is detached');
    assert.throws(() => ring.start(() => {}), (e: Error & { code?: string }) => e.code === 'ERR_RING_CLOSED');
    assert.throws(() => ring.setFilter([{ code: 6, jt: 0, jf: 0, k: 0 }]), /closed/);
    ring.stop();
    assert.equal(ring.counters().framesReceived, 0);
  });

  test('close() from inside the handler is finished after the batch', async () => {
    const ring = pair.open('va', 'a');
    let calls = 0;
    ring.start((batch) => {
      calls++;
      assert.ok(batch.count >= 1);
      ring.close();
      assert.equal(batch.buf.byteLength > 0, true, 'the batch stays readable until the handler returns');
    });
    send(pair.sender(), [arpRequest(), arpRequest()]);
    assert.ok(await waitFor(() => calls >= 1, 2000));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(calls, 1);
    assert.ok(ring.isClosed);
    assert.equal(ring.tx.buf.byteLength, 0);
  });

  test('a handler that throws surfaces as uncaughtException; the ring keeps working', () => {
    // In a child process: the test runner treats uncaught exceptions as failures.
    const ringPath = JSON.stringify(require.resolve('../../src/engine/ring'));
    const filtersPath = JSON.stringify(require.resolve('../../src/engine/filters'));
    const frame = JSON.stringify(Array.from(arpRequest()));
    const script = `
      const { Ring } = require(${ringPath});
      const { REJECT_ALL_FILTER } = require(${filtersPath});
      const errors = [];
      process.on('uncaughtException', (e) => errors.push(e.message));
      const rx = Ring.open('va');
      let seen = 0;
      rx.start((b) => { seen += b.count; if (seen === 1) throw new Error('boom'); });
      const tx = Ring.open('vb', { filter: REJECT_ALL_FILTER, netns: ${JSON.stringify(pair.lab.nsPath(pair.b))} });
      const f = Uint8Array.from(${frame});
      const once = () => { const o = tx.tx.reserve(); tx.tx.buf.set(f, o); tx.tx.commit(f.length); tx.tx.flush(); };
      setTimeout(once, 10);
      setTimeout(once, 100);
      setTimeout(() => { console.log(JSON.stringify({ errors, seen })); rx.close(); tx.close(); }, 300);`;
    const out = pair.lab.exec(pair.a, process.execPath, ['-e', script]);
    assert.deepEqual(JSON.parse(out), { errors: ['boom'], seen: 2 });
  });

  /** Ring.open in the test's namespace unless the options name one. */
  function Ring_open(ifname: string, options: RingOptions) {
    return Ring.open(ifname, { netns: pair.lab.nsPath(pair.a), ...options });
  }
});
