// parpd's example configuration produces the decisions its comments describe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Policy, Verdict, REASON_NAMES } from '../../src/policy';
import { formatIp, formatPrefix } from '../../src/net/addr';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config';
import { arp, mac, RecordingLogger, RecordingOutput, TestEnv, formatMac, ip4 } from './fixtures/build';
import { PARPD_EXAMPLE, parpdExample } from './fixtures/parpd';

const OUR = mac('02:00:00:00:00:fe');
const ROUTER = mac('02:00:00:00:00:01'); // 198.51.100.1, the default gateway
const DHCP = mac('02:00:00:00:00:04'); // 198.51.100.4
const CLIENT_A = mac('02:00:00:00:01:00'); // 198.51.100.100
const CLIENT_B = mac('02:00:00:00:01:01'); // 198.51.100.101
const SERVER = mac('02:00:00:00:02:0a'); // 192.0.2.10, multihomed

function parsedExample() {
  return parseConfig(readFileSync(join(__dirname, '../../../examples/parpd.conf'), 'utf8'), 'parpd.conf').config;
}

function setup(config = parpdExample()) {
  const env = new TestEnv([OUR]);
  env.own4.set(0, new Set([ip4('198.51.100.2')]));
  env.src4.set(0, ip4('198.51.100.2'));
  const out = new RecordingOutput();
  const log = new RecordingLogger();
  const policy = new Policy({ config, env, output: out, logger: log });
  return { env, out, log, policy };
}

/** Broadcast ARP request as a host sends it: teaches the policy the sender's MAC. */
function ask(policy: Policy, senderMac: number, senderIp: string, targetIp: string, now: number) {
  return policy.handle(arp({ senderMac, senderIp, targetIp }), 0, now);
}

test('the hand-built Config mirrors the example file line by line', () => {
  const lines = PARPD_EXAMPLE.split('\n');
  for (const r of parpdExample().interfaces[0]!.rules) {
    const text = lines[r.pos.line - 1]!;
    assert.match(text, /^ rule /, `line ${r.pos.line}`);
    const words = text.trim().split(/\s+/);
    assert.equal(formatPrefix(r.source), words[1]!.includes('/') ? words[1] : `${words[1]}/32`);
    assert.equal(formatPrefix(r.target), words[2]);
    assert.equal(r.delay, words.includes('delay'));
    assert.equal(r.verbose, words.includes('verbose'));
  }
  assert.equal(parpdExample().interfaces[0]!.rules.length, lines.filter((l) => l.startsWith(' rule')).length);
});

test('the project config parser reads examples/parpd.conf into the same rules and cache', () => {
  const text = readFileSync(join(__dirname, '../../../examples/parpd.conf'), 'utf8');
  const parsed = parseConfig(text, 'parpd.conf').config;
  const mine = parpdExample();
  assert.deepEqual(
    { ...parsed.cache, explicit: true },
    { ...mine.cache, explicit: true },
  );
  assert.equal(parsed.interfaces[0]!.timeout, mine.interfaces[0]!.timeout);
  const shape = (c: typeof mine) =>
    c.interfaces[0]!.rules.map((r) => ({
      line: r.pos.line,
      source: formatPrefix(r.source),
      target: formatPrefix(r.target),
      delay: r.delay,
      verbose: r.verbose,
      probes: r.probes,
      action: r.action.kind,
      via: r.action.kind === 'redirect' ? formatIp(r.action.via) : undefined,
    }));
  assert.deepEqual(shape(parsed), shape(mine));
});

interface Case {
  what: string;
  /** Requests sent before the decisive one (learning the hosts involved). */
  learn?: [number, string, string][];
  from: [number, string];
  target: string;
  repeat?: number;
  verdict: Verdict;
  reason: string;
  line: number;
  answerMac?: number;
  logged: boolean;
}

// Each case: which rule (by line) decides, and what the comment above it promises.
const CASES: Case[] = [
  {
    what: 'line 11: queries for our own infrastructure (198.51.100.0/29) are not answered',
    learn: [[ROUTER, '198.51.100.1', '198.51.100.100']],
    from: [CLIENT_A, '198.51.100.100'], target: '198.51.100.1',
    verdict: Verdict.Silent, reason: 'ignore', line: 11, logged: false,
  },
  {
    what: 'line 11: even from the infrastructure itself (a router asking for the DHCP server)',
    learn: [[DHCP, '198.51.100.4', '198.51.100.1']],
    from: [ROUTER, '198.51.100.1'], target: '198.51.100.4',
    verdict: Verdict.Silent, reason: 'ignore', line: 11, logged: false,
  },
  {
    what: 'line 13: the DHCP server probing a client sees silence on its first three tries',
    learn: [[CLIENT_A, '198.51.100.100', '198.51.100.1']],
    from: [DHCP, '198.51.100.4'], target: '198.51.100.100', repeat: 3,
    verdict: Verdict.Silent, reason: 'delayed', line: 13, logged: false,
  },
  {
    what: 'line 13: ... and the real MAC on the 4th within 3 seconds (delay tell)',
    learn: [[CLIENT_A, '198.51.100.100', '198.51.100.1']],
    from: [DHCP, '198.51.100.4'], target: '198.51.100.100', repeat: 4,
    verdict: Verdict.Answer, reason: 'rule', line: 13, answerMac: CLIENT_A, logged: false,
  },
  {
    what: 'line 13: a free address stays silent even on the 4th try (nothing learned to tell)',
    from: [DHCP, '198.51.100.4'], target: '198.51.100.150', repeat: 4,
    verdict: Verdict.Silent, reason: 'unknown_target', line: 13, logged: false,
  },
  {
    what: 'line 15: a router reaches a client: real MAC, at once',
    learn: [[CLIENT_A, '198.51.100.100', '198.51.100.1']],
    from: [ROUTER, '198.51.100.1'], target: '198.51.100.100',
    verdict: Verdict.Answer, reason: 'rule', line: 15, answerMac: CLIENT_A, logged: false,
  },
  {
    what: 'line 15: a router asking for an unknown client gets no answer',
    from: [ROUTER, '198.51.100.1'], target: '198.51.100.150',
    verdict: Verdict.Silent, reason: 'unknown_target', line: 15, logged: false,
  },
  {
    what: 'line 17: client to client is hairpinned: the default gateway MAC',
    learn: [[ROUTER, '198.51.100.1', '198.51.100.100'], [CLIENT_B, '198.51.100.101', '198.51.100.1']],
    from: [CLIENT_A, '198.51.100.100'], target: '198.51.100.101',
    verdict: Verdict.Answer, reason: 'rule', line: 17, answerMac: ROUTER, logged: false,
  },
  {
    what: 'line 17: hairpinning does not need the target client to be known',
    learn: [[ROUTER, '198.51.100.1', '198.51.100.100']],
    from: [CLIENT_A, '198.51.100.100'], target: '198.51.100.200',
    verdict: Verdict.Answer, reason: 'rule', line: 17, answerMac: ROUTER, logged: false,
  },
  {
    what: 'line 19: a client arping for an outside address gets the gateway MAC, logged',
    learn: [[ROUTER, '198.51.100.1', '198.51.100.100']],
    from: [CLIENT_A, '198.51.100.100'], target: '203.0.113.9',
    verdict: Verdict.Answer, reason: 'rule', line: 19, answerMac: ROUTER, logged: true,
  },
  {
    what: 'line 21: the multihomed server reaches a client: real MAC',
    learn: [[CLIENT_A, '198.51.100.100', '198.51.100.1']],
    from: [SERVER, '192.0.2.10'], target: '198.51.100.100',
    verdict: Verdict.Answer, reason: 'rule', line: 21, answerMac: CLIENT_A, logged: false,
  },
  {
    what: 'line 23: anything else is ignored and shown',
    from: [SERVER, '192.0.2.10'], target: '203.0.113.9',
    verdict: Verdict.Silent, reason: 'ignore', line: 23, logged: true,
  },
  {
    what: 'line 23: an RFC 5227 probe (sender 0.0.0.0) for a client is never answered',
    learn: [[CLIENT_A, '198.51.100.100', '198.51.100.1']],
    from: [CLIENT_B, '0.0.0.0'], target: '198.51.100.100',
    verdict: Verdict.Silent, reason: 'probe', line: 23, logged: true,
  },
];

for (const c of CASES) for (const [how, make] of [['hand-built', parpdExample], ['parsed', parsedExample]] as const) {
  test(`parpd example (${how}): ${c.what}`, () => {
    const { policy, log } = setup(make());
    let now = 100;
    for (const [m, s, t] of c.learn ?? []) ask(policy, m, s, t, (now += 0.01));
    log.lines = [];
    let d = ask(policy, c.from[0], c.from[1], c.target, (now += 0.01));
    for (let i = 1; i < (c.repeat ?? 1); i++) d = ask(policy, c.from[0], c.from[1], c.target, (now += 0.5));
    assert.equal(REASON_NAMES[d.reason], c.reason);
    assert.equal(d.verdict, c.verdict);
    assert.equal(d.ruleLine, c.line);
    if (c.answerMac !== undefined) {
      assert.equal(formatMac(d.answerMac), formatMac(c.answerMac));
      assert.equal(formatMac(d.dstMac), formatMac(c.from[0]));
    }
    const logged = log.lines.filter((l) => l.line === c.line);
    assert.equal(logged.length > 0, c.logged, `verbose log for line ${c.line}`);
    if (c.logged) {
      const l = logged[logged.length - 1]!;
      assert.equal(l.interface, 'em0');
      assert.equal(l.reason, c.reason);
      assert.equal(l.source, c.from[1]);
      assert.equal(l.target, c.target);
      assert.equal(l.family, 4);
    }
  });
}

test('parpd example: delay counts per source and target and forgets after 3 seconds', () => {
  const { policy } = setup();
  ask(policy, CLIENT_A, '198.51.100.100', '198.51.100.1', 10);
  // Four tries spread over more than 3 s: each window restarts, no answer.
  for (const t of [20, 21.5, 23.1, 24.7, 26.3]) {
    assert.equal(ask(policy, DHCP, '198.51.100.4', '198.51.100.100', t).verdict, Verdict.Silent);
  }
  // Another target's count is separate.
  ask(policy, CLIENT_B, '198.51.100.101', '198.51.100.1', 29);
  for (const t of [30, 30.5, 31]) ask(policy, DHCP, '198.51.100.4', '198.51.100.100', t);
  assert.equal(ask(policy, DHCP, '198.51.100.4', '198.51.100.101', 31.2).reason, 7 /* delayed */);
  assert.equal(ask(policy, DHCP, '198.51.100.4', '198.51.100.100', 31.5).verdict, Verdict.Answer);
});

test('parpd example: unknown gateway MAC is resolved by broadcast, the answer leaves once it replies', () => {
  const { policy, out } = setup();
  assert.equal(REASON_NAMES[ask(policy, CLIENT_B, '198.51.100.101', '198.51.100.150', 1).reason], 'resolving');
  assert.deepEqual(out.take(), [
    'arpRequest if0 vlan-1 from 02:00:00:00:00:fe 198.51.100.2 who-has 198.51.100.1 to ff:ff:ff:ff:ff:ff',
  ]);
  const d = ask(policy, CLIENT_A, '198.51.100.100', '198.51.100.101', 1.1);
  assert.equal(REASON_NAMES[d.reason], 'resolving');
  assert.equal(d.ruleLine, 17);
  assert.deepEqual(out.take(), []); // resolution already under way since B's request
  // The router answers our broadcast, to our MAC.
  policy.handle(
    arp({ op: 'reply', senderMac: ROUTER, senderIp: '198.51.100.1', targetIp: '198.51.100.2', targetMac: OUR, ethDst: OUR }),
    0,
    1.5,
  );
  assert.deepEqual(out.take(), [
    'arpReply if0 vlan-1 to 02:00:00:00:01:01 198.51.100.101: 198.51.100.150 is-at 02:00:00:00:00:01',
    'arpReply if0 vlan-1 to 02:00:00:00:01:00 198.51.100.100: 198.51.100.101 is-at 02:00:00:00:00:01',
  ]);
  assert.equal(ask(policy, CLIENT_A, '198.51.100.100', '198.51.100.101', 2).answerMac, ROUTER);
});
