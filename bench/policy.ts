// Policy decisions per second with 100 000 rules and 1 000 000 cache entries, and the
// memory they take. Run: `npm run compile && node dist/bench/policy.js [runs]`.
// Prints medians of several runs and ratios against a reference run (parpd's 7-rule
// example with a small cache) in the same invocation. The machine is shared and noisy:
// compare ratios more than absolute figures.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Policy, RuleMatcher } from '../src/policy';
import { FrameKind, FrameView } from '../src/wire/view';
import { ActionKind, NaSource, type Config, type Rule } from '../src/config/types';
import { BROADCAST_MAC, Family, mask4, prefixContains } from '../src/net/addr';
import type { PolicyEnvironment, PolicyOutput } from '../src/policy/types';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const RUNS = Number(process.argv[2] ?? 5);
const DECISIONS = 1_000_000;
const OUR = 0x0200000000fe;

const env: PolicyEnvironment = {
  interfaceMac: () => OUR,
  isOwnIp4: (_i, ip) => ip === 0x0afffffe,
  isOwnIp6: () => false,
  sourceIp4: () => 0x0afffffe,
  sourceIp6: () => false,
  routeInterface: () => 'eth1',
};
let sent = 0;
const output: PolicyOutput = {
  arpRequest: () => void sent++,
  arpReply: () => void sent++,
  arpAnnounce: () => void sent++,
  neighborSolicitation: () => void sent++,
  neighborAdvertisement: () => void sent++,
  unsolicitedNa: () => void sent++,
};

function v4rule(line: number, s: number, sb: number, t: number, tb: number, kind: ActionKind.Tell | ActionKind.Ignore | ActionKind.Self): Rule {
  return {
    pos: { file: 'bench', line, column: 1 },
    source: { family: Family.V4, v4: (s & mask4(sb)) >>> 0, bits: sb },
    target: { family: Family.V4, v4: (t & mask4(tb)) >>> 0, bits: tb },
    delay: false,
    verbose: false,
    probes: false,
    action: { kind } as Rule['action'],
  };
}

function makeConfig(rules: Rule[], tablesize: number): Config {
  return {
    file: 'bench',
    cache: { timeout: 1e9, tablesize, refresh: { count: 0, interval: 0 }, delay: { count: 1, window: 0 }, explicit: true },
    interfaces: [
      {
        pos: { file: 'bench', line: 1, column: 1 },
        name: 'eth0',
        timeout: 1,
        vlans: null,
        promisc: false,
        allmulti: false,
        mac: null,
        rules,
        statics: [],
        nd: { uplinks: [], exceptions: [], router: false, override: false, dadDefend: false, naSource: NaSource.LinkLocal },
      },
    ],
  };
}

const BASE = 0x0a000000; // 10.0.0.0/8: no frame leaves this process

/** 100 000 host-target rules with sources of 4 lengths (4 groups), then a catch-all. */
function bigRules(n: number): Rule[] {
  const rules: Rule[] = [];
  const lens = [0, 8, 16, 24];
  for (let i = 0; i < n - 1; i++) {
    const t = (BASE + i * 7) >>> 0;
    rules.push(v4rule(i + 2, t, lens[i % 4]!, t, 32, ActionKind.Tell));
  }
  rules.push(v4rule(n + 1, 0, 0, 0, 0, ActionKind.Ignore));
  return rules;
}

/**
 * The adversarial case for the matcher: targets nested at every length around the queried
 * address (all 33 target nodes match) and 32 source lengths per node, none matching; only the
 * last rule (0/0 -> 0/0) does. 33 + 33 * 32 = 1089 probes per decision.
 */
function worstRules(): Rule[] {
  const rules: Rule[] = [];
  let line = 2;
  for (let tb = 32; tb >= 0; tb--) for (let sb = 32; sb >= 1; sb--) rules.push(v4rule(line++, 0xc0000200, sb, BASE, tb, ActionKind.Self));
  rules.push(v4rule(line, 0, 0, 0, 0, ActionKind.Self));
  return rules;
}

function parpdRules(): Rule[] {
  const p = (a: number, b: number, c: number, d: number) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
  const net = p(10, 0, 0, 0);
  return [
    v4rule(11, 0, 0, net, 29, ActionKind.Ignore),
    v4rule(13, p(10, 0, 0, 4), 32, net, 8, ActionKind.Tell),
    v4rule(15, net, 29, net, 8, ActionKind.Tell),
    v4rule(17, net, 8, net, 8, ActionKind.Tell),
    v4rule(19, net, 8, 0, 0, ActionKind.Self),
    v4rule(21, p(192, 0, 2, 0), 24, net, 8, ActionKind.Tell),
    v4rule(23, 0, 0, 0, 0, ActionKind.Ignore),
  ];
}

function mem() {
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed + m.arrayBuffers, rss: m.rss };
}

const view = new FrameView();
function fillRequest(senderMac: number, sip: number, tip: number, broadcast: boolean): FrameView {
  view.kind = FrameKind.ArpRequest;
  view.drop = 0;
  view.ethSrc = senderMac;
  view.senderMac = senderMac;
  view.ethDst = broadcast ? BROADCAST_MAC : OUR;
  view.senderIp = sip;
  view.targetIp = tip;
  view.vlan = -1;
  return view;
}

/** Learns `hosts` addresses BASE + j through broadcast requests; returns seconds taken. */
function learn(policy: Policy, hosts: number): number {
  const t0 = process.hrtime.bigint();
  for (let j = 0; j < hosts; j++) policy.handle(fillRequest(0x060000000000 + j, (BASE + j) >>> 0, 0x0afffffe, true), 0, 1);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Random query stream, precomputed so the timed loop only decides. */
function queries(hosts: number, targets: (i: number) => number, q: number): { sip: Uint32Array; tip: Uint32Array } {
  let x = 12345;
  const rnd = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0), x);
  const sip = new Uint32Array(q);
  const tip = new Uint32Array(q);
  for (let i = 0; i < q; i++) {
    sip[i] = (BASE + (rnd() % hosts)) >>> 0;
    tip[i] = targets(rnd());
  }
  return { sip, tip };
}

function decide(policy: Policy, qs: { sip: Uint32Array; tip: Uint32Array }, n: number): { rate: number; answers: number } {
  const q = qs.sip.length;
  let answers = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const k = i & (q - 1);
    const sip = qs.sip[k]!;
    const d = policy.handle(fillRequest(0x060000000000 + (sip - BASE), sip, qs.tip[k]!, false), 0, 2);
    answers += d.verdict === 1 ? 1 : 0;
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return { rate: n / s, answers };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function fmt(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(0);
}

function mb(b: number): string {
  return `${(b / 1048576).toFixed(1)} MiB`;
}

function main(): void {
  console.log(`policy bench: ${RUNS} runs of ${fmt(DECISIONS)} decisions each, medians; node ${process.version}; shared noisy 2-core machine`);
  const Q = 1 << 16;

  // Reference: parpd's example shape, 7 rules, 10 000 learned hosts.
  const ref = new Policy({ config: makeConfig(parpdRules(), 20000), env, output });
  learn(ref, 10000);
  const refQ = queries(10000, (r) => (BASE + (r % 10000)) >>> 0, Q);
  const refRates: number[] = [];
  for (let r = 0; r < RUNS; r++) refRates.push(decide(ref, refQ, DECISIONS).rate);
  const refRate = median(refRates);
  console.log(`reference  7 rules, 10 k cache            ${fmt(refRate)} decisions/s (${(1e9 / refRate).toFixed(0)} ns each)`);

  // Big: 100 000 rules, 1 000 000 cache entries.
  const HOSTS = 1_000_000;
  const N = 100_000;
  const m0 = mem();
  const rules = bigRules(N);
  const m1 = mem();
  const big = new Policy({ config: makeConfig(rules, HOSTS), env, output });
  const m2 = mem();
  const learnS = learn(big, HOSTS);
  const m3 = mem();
  const st = big.stats();
  console.log(`big        ${N} rules (${st.rules[0]!.v4Groups} length groups), cache ${st.cache.size} entries learned in ${learnS.toFixed(2)} s (${fmt(HOSTS / learnS)} learns/s)`);
  console.log(`  memory: Config rule objects heap +${mb(m1.heap - m0.heap)}; policy structures (matcher + empty cache arrays) heap +${mb(m2.heap - m1.heap)} rss +${mb(m2.rss - m1.rss)}; 1 M entries learned heap +${mb(m3.heap - m2.heap)} rss +${mb(m3.rss - m2.rss)}; cache typed arrays ${mb(st.cache.bytes)} (${(st.cache.bytes / HOSTS).toFixed(0)} B/entry)`);
  const cases: [string, (r: number) => number][] = [
    ['hits a rule (tell, cached target)', (r) => (BASE + (r % (N - 1)) * 7) >>> 0],
    ['misses every host rule (catch-all)', (r) => (0xc6336400 + (r & 0xff)) >>> 0],
  ];
  for (const [name, tgt] of cases) {
    const qs = queries(HOSTS, tgt, Q);
    const rates: number[] = [];
    let answers = 0;
    for (let r = 0; r < RUNS; r++) {
      const res = decide(big, qs, DECISIONS);
      rates.push(res.rate);
      answers = res.answers;
    }
    const rate = median(rates);
    console.log(`  ${name.padEnd(38)} ${fmt(rate)} decisions/s (${(1e9 / rate).toFixed(0)} ns each, ${(rate / refRate).toFixed(2)}x reference), answered ${answers}/${DECISIONS}`);
  }

  // The matcher alone over the same 100 000 rules (no cache lookup, no frame handling).
  const matcher = new RuleMatcher(Family.V4, rules);
  const mq = queries(HOSTS, (r) => (BASE + (r % (N - 1)) * 7) >>> 0, Q);
  const mr: number[] = [];
  let sink = 0;
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < DECISIONS; i++) sink += matcher.match4(mq.sip[i & (Q - 1)]!, mq.tip[i & (Q - 1)]!);
    mr.push(DECISIONS / (Number(process.hrtime.bigint() - t0) / 1e9));
  }
  const mRate = median(mr);
  console.log(`  matcher alone, hits                    ${fmt(mRate)} lookups/s (${(1e9 / mRate).toFixed(0)} ns each; ${matcher.targetLengths} target lengths, ${(matcher.bytes() / 1048576).toFixed(1)} MiB)${sink < 0 ? '' : ''}`);

  // Adversarial case for the matcher (see worstRules).
  const worst = new Policy({ config: makeConfig(worstRules(), 1000), env, output });
  const wq = queries(1000, () => BASE, Q);
  const wr: number[] = [];
  for (let r = 0; r < RUNS; r++) wr.push(decide(worst, wq, DECISIONS / 10).rate);
  const wRate = median(wr);
  console.log(`adversarial ${worst.stats().rules[0]!.v4Groups} length pairs, all targets nested, match in the last rule  ${fmt(wRate)} decisions/s (${(1e9 / wRate).toFixed(0)} ns each, ${(wRate / refRate).toFixed(3)}x reference)`);

  // What a linear first-match scan would cost over the 100 000 rules (for scale).
  const lin = queries(HOSTS, (r) => (0xc6336400 + (r & 0xff)) >>> 0, 256);
  const t0 = process.hrtime.bigint();
  let found = 0;
  for (let i = 0; i < 256; i++) {
    const s = { family: Family.V4 as const, v4: lin.sip[i]! };
    const t = { family: Family.V4 as const, v4: lin.tip[i]! };
    for (const r of rules) if (prefixContains(r.source, s) && prefixContains(r.target, t)) { found++; break; }
  }
  const linNs = Number(process.hrtime.bigint() - t0) / 256;
  console.log(`linear scan over ${N} rules (for scale)      ${(linNs / 1000).toFixed(0)} us per decision (${found} found)`);
  void sent;
}

main();
