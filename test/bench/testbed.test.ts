// The testbed and the reference responders answer: kernel proxy_arp and proxy_ndp,
// driven by the stand-in load (bounded: 200 requests each at 2000/s).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { senderCount, targetCount } from '../../bench/pps/frames';
import { assertEngineBuilt, createNativeDriver } from '../../bench/pps/generator-native';
import { StandinDriver } from '../../bench/pps/load';
import { matchReplies } from '../../bench/pps/match';
import { setupNeighproxy, setupPipeline } from '../../bench/pps/responder-neighproxy';
import { setupKernel } from '../../bench/pps/responders';
import { Testbed } from '../../bench/pps/testbed';
import { needsNetns } from '../helpers/netns';

function skipReason(): string | undefined {
  const ns = needsNetns();
  if (ns) return ns;
  try {
    execFileSync('python3', ['-c', 'import socket; socket.AF_PACKET'], { stdio: 'ignore' });
  } catch {
    return 'needs python3 (the stand-in load)';
  }
  return undefined;
}

test('the kernel answers ARP and NS on the testbed, every request matched once', { skip: skipReason(), timeout: 30_000 }, async () => {
  const tb = new Testbed();
  const driver = new StandinDriver();
  try {
    for (const r of setupKernel(tb)) {
      const res = await driver.run({ family: r.family, netns: tb.gen, ifname: r.wire.genIf, rate: 2000, count: 200, maxSeconds: 2, drainMs: 100 });
      assert.equal(res.sent, 200, `${r.name}: sent`);
      const m = matchReplies(senderCount(r.family) * targetCount(r.family), res.sent, res.txNs, res.rxResidue, res.rxNs, res.rxCount);
      assert.equal(m.answered, 200, `${r.name}: answered`);
      assert.equal(m.duplicates, 0, `${r.name}: duplicates`);
      assert.ok(m.latencyNs.every((l) => l >= 0 && l < 1e9), `${r.name}: latencies plausible`);
    }
  } finally {
    tb.destroy();
    driver.close();
  }
  const strays = execFileSync('ip', ['netns'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith(tb.lab.prefix));
  assert.deepEqual(strays, [], 'namespaces removed');
});

function engineMissing(): string | undefined {
  const ns = needsNetns();
  if (ns) return ns;
  try {
    assertEngineBuilt();
    return undefined;
  } catch (err) {
    return `needs the ring engine built (${(err as Error).message.split('\n')[0]})`;
  }
}

test('the native generator and capture measure the kernel: every request answered, ring-clock latency', { skip: engineMissing(), timeout: 30_000 }, async () => {
  const tb = new Testbed();
  const driver = createNativeDriver();
  try {
    for (const r of setupKernel(tb)) {
      const res = await driver.run({
        family: r.family, netns: tb.gen, ifname: r.wire.genIf, rate: 5000, count: 500, maxSeconds: 2, drainMs: 100,
        timestampRequests: true, responderNetns: r.wire.ns, responderIf: r.wire.ifname,
      });
      assert.equal(res.sent, 500, `${r.name}: sent`);
      assert.equal(res.txClock, 'ring', `${r.name}: every request stamped at the responder`);
      const m = matchReplies(senderCount(r.family) * targetCount(r.family), res.sent, res.txNs, res.rxResidue, res.rxNs, res.rxCount);
      assert.equal(m.answered, 500, `${r.name}: answered`);
      assert.equal(m.duplicates + m.stray, 0, `${r.name}: nothing unmatched`);
      // The kernel answers within microseconds; a mismatched request would show as ~ms or 0.
      const sorted = Float64Array.from(m.latencyNs).sort();
      assert.ok(sorted[250]! > 0 && sorted[250]! < 1e6, `${r.name}: median latency ${sorted[250]} ns`);
    }
  } finally {
    driver.close();
    tb.destroy();
  }
});

test('neighproxy (daemon, or its pipeline before the daemon is built) answers ARP and NS with the bench configuration', { skip: engineMissing(), timeout: 30_000 }, async () => {
  const tb = new Testbed();
  const driver = createNativeDriver();
  const dir = mkdtempSync(join(tmpdir(), 'np-bench-test-'));
  try {
    const rs = await setupNeighproxy(tb, dir, ['neighproxy-arp', 'neighproxy-ns'], () => {});
    assert.deepEqual(rs.map((r) => r.name), ['neighproxy-arp', 'neighproxy-ns']);
    for (const r of rs) {
      let answered = 0;
      // The process may still be starting: a few bounded tries.
      for (let attempt = 0; attempt < 10 && answered < 300; attempt++) {
        if (attempt) await new Promise((res) => setTimeout(res, 300));
        const res = await driver.run({ family: r.family, netns: tb.gen, ifname: r.wire.genIf, rate: 3000, count: 300, maxSeconds: 2, drainMs: 100 });
        answered = matchReplies(senderCount(r.family) * targetCount(r.family), res.sent, res.txNs, res.rxResidue, res.rxNs, res.rxCount).answered;
      }
      assert.equal(answered, 300, `${r.name}: answered`);
      assert.ok(r.pid()! > 0);
    }
    await rs[0]!.stop();
  } finally {
    driver.close();
    tb.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the pipeline responder (bench/pps/pipeline-responder.ts: the ring driving src/pipeline) answers ARP and NS', { skip: engineMissing(), timeout: 30_000 }, async () => {
  const tb = new Testbed();
  const driver = createNativeDriver();
  const dir = mkdtempSync(join(tmpdir(), 'np-bench-test-'));
  try {
    const rs = await setupPipeline(tb, dir, ['pipeline-arp', 'pipeline-ns']);
    assert.deepEqual(rs.map((r) => r.name), ['pipeline-arp', 'pipeline-ns']);
    for (const r of rs) {
      let answered = 0;
      for (let attempt = 0; attempt < 10 && answered < 300; attempt++) {
        if (attempt) await new Promise((res) => setTimeout(res, 300));
        const res = await driver.run({ family: r.family, netns: tb.gen, ifname: r.wire.genIf, rate: 3000, count: 300, maxSeconds: 2, drainMs: 100 });
        answered = matchReplies(senderCount(r.family) * targetCount(r.family), res.sent, res.txNs, res.rxResidue, res.rxNs, res.rxCount).answered;
      }
      assert.equal(answered, 300, `${r.name}: answered`);
    }
    await rs[0]!.stop();
  } finally {
    driver.close();
    tb.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
