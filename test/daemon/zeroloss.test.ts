// Zero loss below capacity (issue 11): the daemon answers every one of 50 000 NS and
// 50 000 ARP requests offered at 20 000/s, NS and ARP interleaved, from the engine's
// generator in a namespace of its own. Bounded: 100 000 frames, about 5 s of sending.
// A loss fails with the daemon's own split of where the requests went (ctl show stats).
// Needs root; skipped otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requestFrame, responderConfig } from '../../bench/stall/load';
import { generate } from '../../src/engine/generator';
import { generatorPair } from '../helpers/generator-pair';
import { needsNetns, waitFor } from '../helpers/netns';
import { ctlJson, startResponder } from './fixtures/responder';

const PER_FAMILY = 50_000;
const RATE = 20_000;
const TARGETS = 100;

test('every NS and ARP request at 20 000/s is answered (100 000 requests)', { skip: needsNetns(), timeout: 60_000 }, async (t) => {
  const pair = generatorPair(t, 'zl');
  pair.lab.exec(pair.rt, 'ip', ['-6', 'addr', 'add', '2001:db8:1::ffff/64', 'dev', 'c0', 'nodad']);
  const { sock, replies, tx } = await startResponder(pair, responderConfig(TARGETS));
  // NS and ARP alternate, each family cycling over the targets.
  const templates: Uint8Array[] = [];
  for (let i = 0; i < TARGETS; i++) templates.push(requestFrame('ns', i), requestFrame('arp', i));
  const res = await generate(tx, { templates, count: 2 * PER_FAMILY, ratePps: RATE });
  assert.equal(res.sent, 2 * PER_FAMILY);
  await waitFor(() => replies.na >= PER_FAMILY && replies.arp >= PER_FAMILY, 3000);

  const stats = ctlJson(sock, ['show', 'stats']) as {
    interfaces: { requests: { ipv4: number; ipv6: number }; loss: unknown }[];
  };
  const c0 = stats.interfaces[0]!;
  const why = `answered NS ${replies.na}, ARP ${replies.arp} of ${PER_FAMILY} each (capture drops ${replies.drops}); ` +
    `daemon saw ${c0.requests.ipv6} NS, ${c0.requests.ipv4} ARP; loss ${JSON.stringify(c0.loss)}`;
  assert.equal(replies.drops, 0, `the test's own capture dropped replies: ${why}`);
  assert.equal(replies.na, PER_FAMILY, why);
  assert.equal(replies.arp, PER_FAMILY, why);
  assert.deepEqual(c0.loss, { kernelRingDrop: 0, txRingFull: { ipv4: 0, ipv6: 0 }, unanswered: { ipv4: {}, ipv6: {} }, sendErrors: 0 }, why);
});
