// replay with the real policy (src/policy) behind the filter: decisions, rule lines,
// reasons, and reply frames that the wire parser reads back as valid answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { policyDecider, REPLAY_MAC } from '../../src/replay/decider';
import { compileFilter } from '../../src/bpf/compile';
import { decisionText, replayFrames, type ReplayRow } from '../../src/replay/replay';
import { parseConfig } from '../../src/config/parse';
import { parseFrame } from '../../src/wire/parse';
import { FrameKind, FrameView } from '../../src/wire/view';
import { VLAN_NONE } from '../../src/engine/types';
import { formatIp4, formatIp6, formatMac } from '../../src/net/addr';
import { buildCorpus } from '../bpf/fixtures/corpus';


const CONF = `cache
 timeout 0
end
interface eth0
 rule 192.0.2.0/24 192.0.2.0/25 ignore
 rule 0.0.0.0/0 192.0.2.0/24 self
 rule ::/0 2001:db8:1::/64 self
end
`;

test('replay decides with the policy and builds its replies', () => {
  const { config } = parseConfig(CONF, 'replay.conf');
  const corpus = buildCorpus().filter((c) => !c.name.includes('['));
  const frames = corpus.map((c, i) => ({ data: c.data, origLen: c.data.length, tsSec: 1000 + i, tsNsec: 0 }));
  const decide = policyDecider(config, 0)!;
  const rows = replayFrames(frames, compileFilter(config.interfaces[0]!, config.cache).program, decide);
  const by = (name: string) => rows[corpus.findIndex((c) => c.name === name)]!;
  const text = (r: ReplayRow) => decisionText(r.decision!);
  const ignored = by('arp-request 192.0.2.1');
  assert.equal(ignored.pass, true);
  assert.deepEqual([text(ignored).action, text(ignored).line, text(ignored).reason, ignored.decision!.reply], ['silent ignore', 5, 'ignore', null]);
  const answered = by('arp-request 192.0.2.200');
  assert.deepEqual([text(answered).action, text(answered).line, text(answered).reason], ['answer self', 6, 'rule']);
  const v = new FrameView();
  const reply = answered.decision!.reply!;
  assert.equal(parseFrame(reply, 0, reply.length, VLAN_NONE, v), FrameKind.ArpReply);
  assert.deepEqual([formatIp4(v.senderIp), formatMac(v.senderMac), formatIp4(v.targetIp)], ['192.0.2.200', formatMac(REPLAY_MAC), '192.0.2.254']);
  assert.equal(text(by('arp-probe 192.0.2.50')).reason, 'probe');
  assert.equal(by('arp-request 198.51.100.5').pass, false);
  assert.equal(by('arp-request 198.51.100.5').decision, null);
  const ns = by('ns 2001:db8:1::1 from fe80::1');
  assert.deepEqual([text(ns).action, text(ns).line], ['answer self', 7]);
  const na = ns.decision!.reply!;
  assert.equal(parseFrame(na, 0, na.length, VLAN_NONE, v), FrameKind.NeighborAdvertisement);
  assert.deepEqual([formatIp6(v.target), formatIp6(v.ip6Dst), v.targetLinkAddr], ['2001:db8:1::1', 'fe80::1', REPLAY_MAC]);
});
