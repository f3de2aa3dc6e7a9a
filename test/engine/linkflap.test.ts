// A ring survives its device going down and up. The kernel sets ENETDOWN on a packet
// socket when its device goes down; epoll reports POLLERR and libuv stops the poll. The
// engine reads and clears the error (counted as socketErrors) and polls again, so the
// SAME ring delivers frames once the device is back. TX while down fails with ENETDOWN:
// counted as txErrors, never thrown. Bounded: a handful of frames, a few seconds.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { needsNetns, waitFor } from '../helpers/netns';
import { ARP_REPLY_AND_NA_FILTER, REJECT_ALL_FILTER } from '../../src/engine/filters';
import type { Ring } from '../../src/engine/ring';
import { arp, ip4, mac } from './fixtures/frames';
import { MAC_A, MAC_B, Pair, frameOf, hex, send } from './fixtures/pair';

const skip = needsNetns();
const ZERO = [0, 0, 0, 0, 0, 0];
const request = (target: string) => arp(1, mac(MAC_B), ip4('192.0.2.2'), ZERO, ip4(target));
const reply = (sender: string) => arp(2, mac(MAC_A), ip4(sender), mac(MAC_B), ip4('192.0.2.2'), mac(MAC_B));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const version of [2, 3] as const) {
  describe(`ring across link down/up (TPACKET_V${version})`, { skip, timeout: 20000 }, () => {
    let pair: Pair;
    before(() => {
      pair = new Pair(`fl${version}`);
    });
    after(() => pair?.destroy());

    const link = (side: 'a' | 'b', state: 'up' | 'down') =>
      pair.lab.exec(side === 'a' ? pair.a : pair.b, 'ip', ['link', 'set', 'dev', side === 'a' ? 'va' : 'vb', state]);

    function collect(ring: Ring): string[] {
      const got: string[] = [];
      ring.start((batch) => {
        for (let i = 0; i < batch.count; i++) got.push(hex(frameOf(batch, i)));
      });
      return got;
    }

    test('our end down and up: the same ring receives again, the error is counted, TX while down is counted', async () => {
      const ring = pair.open('va', 'a', { tpacketVersion: version });
      const got = collect(ring);
      const sender = pair.sender();
      const peer = pair.open('vb', 'b', { filter: ARP_REPLY_AND_NA_FILTER, tpacketVersion: version });
      const peerGot = collect(peer);

      send(sender, [request('192.0.2.31')]);
      assert.ok(await waitFor(() => got.length === 1, 2000), 'first frame did not arrive');
      assert.equal(ring.counters().socketErrors, 0);

      link('a', 'down');
      assert.ok(await waitFor(() => ring.counters().socketErrors >= 1, 2000), 'ENETDOWN was not seen as a socket error');
      // No spin: the cleared error does not wake the loop again while the device stays down.
      const wakeups = ring.wakeups;
      await sleep(200);
      assert.ok(ring.wakeups - wakeups <= 2, `error storm: ${ring.wakeups - wakeups} wake-ups in 200 ms while down`);

      // TX while down: sendto() fails with ENETDOWN; counted, not thrown; the frame stays queued.
      const off = ring.tx.reserve();
      assert.ok(off >= 0);
      const stale = reply('192.0.2.31');
      ring.tx.buf.set(stale, off);
      ring.tx.commit(stale.length);
      assert.equal(ring.tx.flush(), 0, 'nothing handed to a device that is down');
      assert.equal(ring.counters().txErrors, 1);
      assert.equal(ring.counters().repliesSent, 0);

      link('a', 'up');
      send(sender, [request('192.0.2.32')]);
      assert.ok(await waitFor(() => got.length === 2, 2000), `no frame on the same ring after up (got ${got.length})`);
      assert.deepEqual(got, [hex(request('192.0.2.31')), hex(request('192.0.2.32'))]);

      // The frame queued while down leaves with the next kick, ahead of the new one.
      const fresh = reply('192.0.2.32');
      const off2 = ring.tx.reserve();
      assert.ok(off2 >= 0);
      ring.tx.buf.set(fresh, off2);
      ring.tx.commit(fresh.length);
      ring.tx.flush();
      assert.ok(await waitFor(() => peerGot.length === 2, 2000), `peer got ${peerGot.length} replies`);
      assert.deepEqual(peerGot, [hex(stale), hex(fresh)]);

      const c = ring.counters();
      assert.equal(c.framesReceived, 2);
      assert.ok(c.socketErrors >= 1);
      assert.equal(c.txErrors, 1);
      ring.close();
      sender.close();
      peer.close();
    });

    test('both ends down and up, twice: the rings on both sides keep working', async () => {
      const ring = pair.open('va', 'a', { tpacketVersion: version });
      const got = collect(ring);
      // A started TX-only ring on the peer: its poll must survive the flap as well.
      const sender = pair.open('vb', 'b', { filter: REJECT_ALL_FILTER, tpacketVersion: version });
      sender.start(() => undefined);
      for (let round = 1; round <= 2; round++) {
        link('b', 'down');
        link('a', 'down');
        assert.ok(await waitFor(() => ring.counters().socketErrors >= round && sender.counters().socketErrors >= round, 2000),
          `round ${round}: socket errors ${ring.counters().socketErrors} / ${sender.counters().socketErrors}`);
        send(sender, [request('192.0.2.40')]); // queued: ENETDOWN, counted
        assert.equal(sender.counters().txErrors, round);
        link('a', 'up');
        link('b', 'up');
      }
      send(sender, [request('192.0.2.41')]);
      // The two frames queued while down leave with this kick, ahead of it.
      assert.ok(await waitFor(() => got.length >= 3, 2000), `got ${got.length} frames after two flaps`);
      await sleep(50);
      assert.deepEqual(got, [hex(request('192.0.2.40')), hex(request('192.0.2.40')), hex(request('192.0.2.41'))]);
      assert.equal(ring.counters().framesReceived, 3);
      ring.close();
      sender.close();
    });
  });
}
