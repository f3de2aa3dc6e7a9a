// The pipeline without rings: real wire parser and builders, a scripted policy, a TX
// writer that records frames. What `replay` and the daemon both rely on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NaSource, type Config } from '../../src/config/types';
import { DESC_LENGTH, DESC_OFFSET, DESC_STRIDE, DESC_VLAN_TCI, VLAN_NONE, type TxWriter } from '../../src/engine/types';
import { formatIp6, formatMac, parseIp6, parseMac, readIp6, readMac } from '../../src/net/addr';
import { Decision, Reason, REASON_COUNT, Verdict } from '../../src/policy/decision';
import { ReplyAction } from '../../src/policy/reply';
import { lossSplit } from '../../src/daemon/loss';
import { buildNsResolve } from '../../src/wire/build';
import { icmp6ChecksumOk } from '../../src/wire/checksum';
import { FAMILY_V6, InterfaceStats, REPLY_ACTIONS } from '../../src/pipeline/stats';
import { IfaceSlot, Pipeline, type PolicyPort } from '../../src/pipeline/pipeline';
import type { FrameView } from '../../src/wire/view';

class RecordingTx implements TxWriter {
  readonly buf = new Uint8Array(4096);
  readonly slotSize = 512;
  frames: Uint8Array[] = [];
  free = 8;
  /** Refusals, counted by the writer as the engine's RingTx counts them (txRingFull). */
  refused = 0;
  private at = 2048;
  reserve(): number {
    if (this.free-- > 0) return this.at;
    this.refused++;
    return -1;
  }
  commit(length: number): void { this.frames.push(this.buf.slice(this.at, this.at + length)); }
  flush(): number { return 0; }
}

const OUR = parseMac('02:00:5e:00:53:01')!;
const ANSWER = parseMac('02:00:5e:00:53:99')!;
const CLIENT = parseMac('02:00:5e:00:53:02')!;

function ndConfig(naSource: NaSource, delay: boolean): Config {
  return {
    file: 't', cache: { timeout: 300, tablesize: 10, refresh: { count: 0, interval: 1 }, delay: { count: 2, window: 3 }, explicit: true },
    interfaces: [{
      pos: { file: 't', line: 1, column: 1 }, name: 'eth0', timeout: 1, vlans: null, promisc: false, allmulti: true, mac: null,
      rules: [{ delay } as never], statics: [],
      nd: { uplinks: [], exceptions: [], router: false, override: false, dadDefend: false, naSource },
    }],
  };
}

/** Answers every NS the way the policy does for a unicast requester: S set, to its address. */
class NdPolicy implements PolicyPort {
  readonly decision = new Decision();
  calls = 0;
  handle(view: FrameView, ifIndex: number): Decision {
    this.calls++;
    const d = this.decision;
    d.reset();
    d.ifIndex = ifIndex;
    d.family = 6;
    d.verdict = Verdict.Answer;
    d.reason = Reason.Rule;
    d.action = 'self' as never;
    d.replyAction = ReplyAction.Self;
    d.ruleIndex = 0;
    d.answerMac = ANSWER;
    d.naFlags = 2;
    d.dstMac = view.sourceLinkAddr as number;
    d.dstIp6.set(view.ip6Src);
    return d;
  }
}

function nsBatch(): { buf: Uint8Array; desc: Uint32Array; count: number } {
  const buf = new Uint8Array(1024);
  const len = buildNsResolve(buf, 64, -1, CLIENT, parseIp6('2001:db8:1::10')!, parseIp6('2001:db8:1::20')!);
  const desc = new Uint32Array(DESC_STRIDE);
  desc[DESC_OFFSET] = 64;
  desc[DESC_LENGTH] = len;
  desc[DESC_VLAN_TCI] = VLAN_NONE;
  return { buf, desc, count: 1 };
}

test('an NS becomes a checksummed NA from our link-local to the requester, counted by action and as delayed', () => {
  const stats = new InterfaceStats('eth0');
  const slot = new IfaceSlot('eth0', 0, stats);
  slot.mac = OUR;
  slot.linkLocal.set(parseIp6('fe80::1')!);
  const pipeline = new Pipeline(new NdPolicy(), () => 1);
  pipeline.configure(ndConfig(NaSource.LinkLocal, true), [slot]);
  const tx = new RecordingTx();
  pipeline.onBatch(0, nsBatch(), tx);
  assert.equal(tx.frames.length, 1);
  const f = tx.frames[0]!;
  assert.equal(formatMac(readMac(f, 0)), '02:00:5e:00:53:02', 'to the requester');
  assert.equal(formatMac(readMac(f, 6)), '02:00:5e:00:53:01', 'from our MAC');
  assert.equal(f[14 + 40], 136, 'ICMPv6 NA');
  assert.equal(formatIp6(readIp6(f, 14 + 8, new Uint32Array(4))), 'fe80::1', 'source: link-local');
  assert.equal(formatIp6(readIp6(f, 14 + 24, new Uint32Array(4))), '2001:db8:1::10');
  assert.equal(formatIp6(readIp6(f, 14 + 48, new Uint32Array(4))), '2001:db8:1::20', 'target');
  assert.equal(formatMac(readMac(f, 14 + 66)), '02:00:5e:00:53:99', 'target link-layer option');
  assert.equal(f[14 + 44]! & 0x40, 0x40, 'S flag');
  assert.ok(icmp6ChecksumOk(f, 14, 54, 32));
  assert.equal(stats.requests[FAMILY_V6], 1);
  assert.equal(stats.replies[FAMILY_V6 * REPLY_ACTIONS.length + REPLY_ACTIONS.indexOf('self')], 1);
  assert.equal(stats.delayedAnswered[FAMILY_V6], 1, 'a delay rule answered');
});

test('na-source target: the NA comes from the target; a full TX ring is not thrown, and counted by the ring only', () => {
  const stats = new InterfaceStats('eth0');
  const slot = new IfaceSlot('eth0', 0, stats);
  slot.mac = OUR;
  const pipeline = new Pipeline(new NdPolicy(), () => 1);
  pipeline.configure(ndConfig(NaSource.Target, false), [slot]);
  const tx = new RecordingTx();
  pipeline.onBatch(0, nsBatch(), tx);
  assert.equal(formatIp6(readIp6(tx.frames[0]!, 14 + 8, new Uint32Array(4))), '2001:db8:1::20');
  assert.equal(stats.delayedAnswered[FAMILY_V6], 0);
  tx.free = 0;
  pipeline.onBatch(0, nsBatch(), tx);
  assert.equal(tx.frames.length, 1);
  assert.equal(tx.refused, 1, 'one reserve refused');
  assert.equal(stats.replies[FAMILY_V6 * REPLY_ACTIONS.length + REPLY_ACTIONS.indexOf('self')], 1, 'the refused answer is no reply');
  assert.equal(stats.requests[FAMILY_V6], 2);
});

test('frames for an interface index the configuration does not have are ignored', () => {
  const policy = new NdPolicy();
  const pipeline = new Pipeline(policy, () => 1);
  pipeline.configure(ndConfig(NaSource.Target, false), [new IfaceSlot('eth0', 0, new InterfaceStats('eth0'))]);
  pipeline.onBatch(3, nsBatch(), new RecordingTx());
  assert.equal(policy.calls, 0);
});

test('every unanswered request is counted at its stage: TX ring full, or the decision by reason', () => {
  const stats = new InterfaceStats('eth0');
  const slot = new IfaceSlot('eth0', 0, stats);
  slot.mac = OUR;
  const policy = new NdPolicy();
  const pipeline = new Pipeline(policy, () => 1);
  pipeline.configure(ndConfig(NaSource.Target, false), [slot]);
  const tx = new RecordingTx();
  tx.free = 0;
  pipeline.onBatch(0, nsBatch(), tx);
  assert.equal(stats.answerTxFull[FAMILY_V6], 1, 'answered, but no TX slot');
  const silentOnce = (verdict: Verdict, reason: Reason): void => {
    const handle = policy.handle.bind(policy);
    policy.handle = (v, i) => { const d = handle(v, i); d.verdict = verdict; d.reason = reason; return d; };
    pipeline.onBatch(0, nsBatch(), new RecordingTx());
    policy.handle = handle;
  };
  silentOnce(Verdict.Silent, Reason.NoRule);
  silentOnce(Verdict.Silent, Reason.NoRule);
  silentOnce(Verdict.Drop, Reason.OwnFrame);
  assert.equal(stats.unansweredByReason[FAMILY_V6 * REASON_COUNT + Reason.NoRule], 2);
  assert.equal(stats.unansweredByReason[FAMILY_V6 * REASON_COUNT + Reason.OwnFrame], 1, 'dropped verdicts count too');
  assert.equal(stats.unanswered[FAMILY_V6], 2, 'unanswered keeps counting silent decisions only');
  const loss = lossSplit(stats);
  assert.deepEqual(loss.unanswered, { ipv4: {}, ipv6: { no_rule: 2, own_frame: 1 } });
  assert.deepEqual(loss.txRingFull, { ipv4: 0, ipv6: 1 });
  assert.equal(stats.requests[FAMILY_V6], 4);
});
