// `workers` without namespaces: the setting's parse and checks, and the learn forwarder
// (owner choice, once per batch per peer, repeats dropped, routers to everyone).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { ownerOf } from '../../src/bpf/fanout';
import { parseConfig } from '../../src/config/parse';
import { LearnForwarder, LEARN_WORDS, REPEAT_SECONDS } from '../../src/daemon/workers/forward';
import { coreWorkers, workersOf } from '../../src/daemon/workers/pool';
import { parseIp4 } from '../../src/net/addr';

const IFACE = 'interface c0\n rule 0.0.0.0/0 192.0.2.0/24 198.51.100.1\nend\n';

test('workers N / auto parse; absent means one; bad values say what is expected', () => {
  assert.equal(parseConfig(`workers 2\n${IFACE}`, 'f').config.workers, 2);
  assert.equal(workersOf(parseConfig(`workers 3\n${IFACE}`, 'f').config), 3);
  // Absent = auto: one per online CPU, at most 4; one on one CPU.
  assert.equal(workersOf(parseConfig(IFACE, 'f').config, coreWorkers(2)), 2);
  assert.equal(workersOf(parseConfig(IFACE, 'f').config, coreWorkers(1)), 1);
  assert.equal(workersOf(parseConfig(`workers auto\n${IFACE}`, 'f').config, coreWorkers(64)), 4);
  assert.equal(workersOf(parseConfig(`workers 1\n${IFACE}`, 'f').config, coreWorkers(64)), 1);
  const auto = workersOf(parseConfig(`workers auto\n${IFACE}`, 'f').config);
  assert.ok(auto >= 1 && auto <= 4);
  // probe ... autowire runs on one worker only: the default gives it one (an explicit N > 1 is refused).
  const wired = 'interface lan0\n rule 0.0.0.0/0 192.0.2.0/24 probe lan1 autowire\nend\ninterface lan1\nend\n';
  assert.equal(workersOf(parseConfig(wired, 'f').config, 4), 1);
  for (const [text, re] of [
    ['workers 0', /f:1:9: found '0', expected a number of workers \(a whole number from 1 to 64\) or 'auto'/],
    ['workers 65', /E_CONFIG_LIMIT|from 1 to 64/],
    ['workers', /expected a number of workers/],
    ['workers 2 3', /found '3', expected end of line/],
    ['workers 2\nworkers 2', /one 'workers' line \(first at line 1\)/],
  ] as const) {
    assert.throws(() => parseConfig(`${text}\n${IFACE}`, 'f'), (e: Error) => re.test(e.message), text);
  }
});

function pair(): { a: MessagePort; b: MessagePort; got: Float64Array[] } {
  const ch = new MessageChannel();
  const got: Float64Array[] = [];
  ch.port2.on('message', (m: Float64Array) => got.push(m));
  return { a: ch.port1, b: ch.port2, got };
}
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 20));
/** Port messages arrive late on a loaded machine: wait (at most 5 s) for `pred`, then one tick more for extras. */
async function until(pred: () => boolean): Promise<void> {
  for (let i = 0; i < 250 && !pred(); i++) await tick();
  await tick();
}

test('forwarder: keys owned elsewhere go to their owner once per batch, repeats within the window are dropped', async (t) => {
  const p = pair();
  t.after(() => { p.a.close(); p.b.close(); }); // an open port would keep the file's process alive
  const f = new LearnForwarder(0, 2, [undefined, p.a]);
  f.now = 100;
  const mine: number[] = [];
  const theirs: number[] = [];
  for (let i = 1; mine.length < 3 || theirs.length < 3; i++) {
    const ip = parseIp4(`192.0.2.${i}`)!;
    (ownerOf(0, 0, 0, ip, 2) === 0 ? mine : theirs).push(ip);
  }
  for (const ip of mine) assert.equal(f.hook(7, 0, 0, 0, ip, 0x02005e000001, 1, 2), false, 'own keys are learned here');
  for (const ip of theirs) assert.equal(f.hook(7, 0, 0, 0, ip, 0x02005e000001, 1, 2), true, 'others are taken');
  assert.equal(f.hook(7, 0, 0, 0, theirs[0]!, 0x02005e000001, 1, 2), true);
  await until(() => p.got.length >= 1);
  assert.equal(p.got.length, 1, 'one message for the batch');
  assert.equal(p.got[0]!.length, 3 * LEARN_WORDS, 'the repeat was not sent');
  assert.deepEqual([...p.got[0]!.subarray(0, LEARN_WORDS)], [7, 0, 0, 0, theirs[0]!, 0x02005e000001, 1, 2]);
  assert.equal(f.repeats, 1);
  f.hook(7, 0, 0, 0, theirs[0]!, 0x02005e000002, 1, 2); // a new MAC always goes
  f.now += REPEAT_SECONDS;
  f.hook(7, 0, 0, 0, theirs[1]!, 0x02005e000001, 1, 2); // the window passed
  await until(() => p.got.length >= 2);
  assert.equal(p.got.length, 2);
  assert.equal(p.got[1]!.length, 2 * LEARN_WORDS);
  const applied: number[][] = [];
  f.apply({ learnForwarded: (...a: number[]) => void applied.push(a) }, p.got[1]!, 5);
  assert.deepEqual(applied.map((a) => [a[4], a[5], a[8]]), [[theirs[0], 0x02005e000002, 5], [theirs[1], 0x02005e000001, 5]]);
  p.a.close();
  p.b.close();
});

test('forwarder: a redirect router is learned here and sent to every other worker', async () => {
  const p1 = pair();
  const p2 = pair();
  const f = new LearnForwarder(0, 3, [undefined, p1.a, p2.a]);
  f.setRouters(parseConfig(IFACE, 'f').config);
  const router = parseIp4('198.51.100.1')!;
  assert.equal(f.hook(7, 0, 0, 0, router, 0x02005e000009, 1, 2), false, 'learned here too');
  await until(() => p1.got.length >= 1 && p2.got.length >= 1);
  assert.equal(p1.got.length, 1);
  assert.equal(p2.got.length, 1);
  for (const q of [p1, p2]) {
    q.a.close();
    q.b.close();
  }
});
