import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { Family, formatIp, parseIp, parseIp6, parseMac, parsePrefix, type Prefix } from '../../src/net/addr';
import { ActionKind, NaSource, formatConfig, loadConfig, parseConfig, type Config, type Rule } from '../../src/config';

const ROOT = join(__dirname, '..', '..', '..');
const example = (name: string): string => join(ROOT, 'examples', name);

const pfx = (t: string): Prefix => {
  const p = parsePrefix(t);
  assert.ok(typeof p !== 'string', p as string);
  return p;
};
const ip = (t: string) => parseIp(t)!;

/** A rule without its position, for comparing models. */
function bare(r: Rule): Omit<Rule, 'pos'> {
  const { pos: _pos, ...rest } = r;
  return rest;
}

/** The model with every SourcePos removed (format/parse round trips move lines). */
function withoutPositions(c: Config): unknown {
  return JSON.parse(
    JSON.stringify(c, (k, v: unknown) => (k === 'pos' ? undefined : v instanceof Uint32Array ? [...v] : v)),
  );
}

test('the parpd seed example loads unchanged and means what it says', () => {
  const text = readFileSync(example('parpd.conf'), 'utf8');
  // The seed indents with no-break spaces: they must separate words like blanks.
  assert.ok(text.includes('\u00a0'));
  const { config, warnings } = parseConfig(text, 'parpd.conf');
  assert.deepEqual(warnings, []);
  assert.deepEqual(config.cache, {
    timeout: 302,
    tablesize: 3499,
    refresh: { count: 3, interval: 5 },
    delay: { count: 4, window: 3 },
    explicit: true,
  });
  assert.equal(config.interfaces.length, 1);
  const em0 = config.interfaces[0]!;
  assert.equal(em0.name, 'em0');
  assert.deepEqual(em0.pos, { file: 'parpd.conf', line: 8, column: 1 });
  assert.equal(em0.timeout, 1.011);
  assert.equal(em0.vlans, null);
  assert.equal(em0.promisc, false);
  assert.equal(em0.allmulti, false); // IPv4 only: broadcast ARP needs no multicast
  assert.equal(em0.mac, null);
  assert.deepEqual(em0.statics, []);
  const R = (source: string, target: string, action: Rule['action'], flags: Partial<Rule> = {}) => ({
    source: pfx(source),
    target: pfx(target),
    delay: false,
    verbose: false,
    probes: false,
    action,
    ...flags,
  });
  const redirect = { kind: ActionKind.Redirect, via: ip('198.51.100.1') } as const;
  assert.deepEqual(em0.rules.map(bare), [
    R('0.0.0.0/0', '198.51.100.0/29', { kind: ActionKind.Ignore }),
    R('198.51.100.4/32', '198.51.100.0/24', { kind: ActionKind.Tell }, { delay: true }),
    R('198.51.100.0/29', '198.51.100.0/24', { kind: ActionKind.Tell }),
    R('198.51.100.0/24', '198.51.100.0/24', redirect),
    R('198.51.100.0/24', '0.0.0.0/0', redirect, { verbose: true }),
    R('192.0.2.0/24', '198.51.100.0/24', { kind: ActionKind.Tell }),
    R('0.0.0.0/0', '0.0.0.0/0', { kind: ActionKind.Ignore }, { verbose: true }),
  ]);
  assert.deepEqual(
    em0.rules.map((r) => [r.pos.line, r.pos.column]),
    [[11, 2], [13, 2], [15, 2], [17, 2], [19, 2], [21, 2], [23, 2]],
  );
});

test('the extensions: IPv6 rules, self/route/MAC/template actions, probes, ND settings, statics, VLANs', () => {
  const { config, warnings } = parseConfig(
    [
      'interface eth0',
      ' timeout 0.25',
      ' vlan untagged,100,200-202',
      ' promisc yes',
      ' allmulti no',
      ' mac 02:00:5e:00:53:01',
      ' uplink fe80::1 ::',
      ' uplink 2001:db8::1',
      ' exception 2001:db8::2',
      ' router yes',
      ' override yes',
      ' dad defend',
      ' na-source target',
      ' static 2001:db8::7 02:00:5e:00:53:07 announce',
      ' static 198.51.100.7 02-00-5E-00-53-08',
      ' rule ::/0 2001:db8:1::/48 probes self',
      ' rule fe80::/10 2001:db8:2::/48 verbose probes route',
      ' rule ::/0 2001:db8:3::/48 02:00:5e:00:53:02',
      ' rule 198.51.100.1 198.51.100.0/24 template fe:fd:fd:fd:fd:00/8',
      ' rule ::/0 2001:db8:4::/64 template fe:fd:00:00:00:00/32',
      ' rule 2001:db8:5::/64 2001:db8:5::/64 2001:db8:5::1',
      'end',
    ].join('\n'),
    'ext.conf',
  );
  assert.deepEqual(warnings, []);
  assert.equal(config.cache.explicit, false);
  const i = config.interfaces[0]!;
  assert.equal(i.timeout, 0.25);
  assert.deepEqual(i.vlans, [0, 100, 200, 201, 202]);
  assert.equal(i.promisc, true);
  assert.equal(i.allmulti, false); // explicit 'no' wins over the IPv6 default
  assert.equal(i.mac, 0x02005e005301);
  assert.deepEqual(i.nd.uplinks.map((a) => [...a]), [[0xfe800000, 0, 0, 1], [0, 0, 0, 0], [0x20010db8, 0, 0, 1]]);
  assert.deepEqual(i.nd.exceptions.map((a) => [...a]), [[0x20010db8, 0, 0, 2]]);
  assert.deepEqual(
    { router: i.nd.router, override: i.nd.override, dad: i.nd.dadDefend, src: i.nd.naSource },
    { router: true, override: true, dad: true, src: NaSource.Target },
  );
  assert.deepEqual(
    i.statics.map(({ pos: _p, ...s }) => s),
    [
      { address: ip('2001:db8::7'), mac: 0x02005e005307, announce: true },
      { address: ip('198.51.100.7'), mac: 0x02005e005308, announce: false },
    ],
  );
  const [self, route, mac, tpl4, tpl6, redirect6] = i.rules;
  assert.deepEqual(self!.action, { kind: ActionKind.Self });
  assert.equal(self!.probes, true);
  assert.equal(self!.source.family, Family.V6);
  assert.deepEqual(route!.action, { kind: ActionKind.Route });
  assert.deepEqual([route!.verbose, route!.probes, route!.delay], [true, true, false]);
  assert.deepEqual(mac!.action, { kind: ActionKind.Mac, mac: 0x02005e005302 });
  assert.deepEqual(tpl4!.source, pfx('198.51.100.1/32'));
  assert.deepEqual(tpl4!.action, {
    kind: ActionKind.Template,
    template: { base: 0xfefdfdfdfd00, addressBytes: 1, text: 'fe:fd:fd:fd:fd:00/8' },
  });
  assert.deepEqual(tpl6!.action, {
    kind: ActionKind.Template,
    template: { base: 0xfefd00000000, addressBytes: 4, text: 'fe:fd:00:00:00:00/32' },
  });
  assert.deepEqual(redirect6!.action, { kind: ActionKind.Redirect, via: ip('2001:db8:5::1') });
});

test('defaults: no cache block, and an interface block with only a rule', () => {
  const { config } = parseConfig('interface eth0\n rule ::/0 2001:db8::/64 self\nend\n', 'd.conf');
  assert.deepEqual(config.cache, {
    timeout: 300,
    tablesize: 65536,
    refresh: { count: 3, interval: 5 },
    delay: { count: 0, window: 0 },
    explicit: false,
  });
  const i = config.interfaces[0]!;
  assert.equal(i.timeout, 1);
  assert.equal(i.allmulti, true); // IPv6 rules: solicited-node groups of targets are not joined
  assert.deepEqual(i.nd, { uplinks: [], exceptions: [], router: false, override: false, dadDefend: false, naSource: NaSource.LinkLocal });
  // A cache block that sets only some values keeps the defaults for the rest.
  const c = parseConfig('cache\n timeout 0\nend\n', 'c.conf').config.cache;
  assert.deepEqual(c, { timeout: 0, tablesize: 65536, refresh: { count: 3, interval: 5 }, delay: { count: 0, window: 0 }, explicit: true });
});

test('comments, blank lines, tabs and CRLF line ends', () => {
  const { config } = parseConfig('# top\r\n\r\ninterface\teth0 # trailing\r\n\trule\t0.0.0.0/0\t0.0.0.0/0\ttell#x\r\nend\r\n', 'w.conf');
  assert.equal(config.interfaces[0]!.rules.length, 1);
  assert.deepEqual(config.interfaces[0]!.rules[0]!.pos, { file: 'w.conf', line: 4, column: 2 });
});

test('warnings: shadowed rules, delay without cache delay, learning off, unused ND settings, empty interface', () => {
  const { warnings } = parseConfig(
    [
      'cache',
      ' timeout 0',
      'end',
      'interface eth0',
      ' router yes',
      ' rule 0.0.0.0/0 198.51.100.0/24 tell',
      ' rule 198.51.100.0/29 198.51.100.0/25 delay ignore',
      ' rule 198.51.100.0/24 192.0.2.0/24 198.51.100.1',
      ' uplink fe80::1 fe80::1',
      'end',
      'interface eth1',
      'end',
    ].join('\n'),
    'w.conf',
  );
  assert.deepEqual(
    warnings.map((w) => w.message),
    [
      "w.conf:5:2: warning: ND-proxy settings on 'interface eth0' have no effect: it has no IPv6 rules or statics",
      "w.conf:6:2: warning: 'tell' needs learned MACs, but 'cache timeout 0' turns learning off",
      'w.conf:7:2: warning: rule never matches: the rule at line 6 (0.0.0.0/0 198.51.100.0/24) matches every request it would',
      "w.conf:7:2: warning: 'delay' rule, but the cache block sets no 'delay COUNT*SECONDS': it answers at once",
      "w.conf:8:2: warning: 'redirect' needs learned MACs, but 'cache timeout 0' turns learning off",
      'w.conf:9:17: warning: uplink fe80::1 is listed twice',
      "w.conf:11:1: warning: 'interface eth1' has no rules and no statics: it never answers",
    ],
  );
  assert.deepEqual(
    warnings.map((w) => w.code),
    ['W_ND_UNUSED', 'W_LEARNING_OFF', 'W_RULE_SHADOWED', 'W_DELAY_UNSET', 'W_LEARNING_OFF', 'W_DUPLICATE_ADDRESS', 'W_NO_RULES'],
  );
});

test('uplinks without a link-local address are suspicious', () => {
  const w = (up: string): string[] =>
    parseConfig(`interface eth0\n uplink ${up}\n rule ::/0 2001:db8::/64 self\nend\n`, 'l.conf').warnings.map((x) => x.message);
  assert.deepEqual(w('2001:db8::1 ::'), [
    "l.conf:2:2: warning: no link-local 'uplink' on 'interface eth0': routers usually solicit from fe80::/10, so most solicitations will be ignored",
  ]);
  assert.deepEqual(w('2001:db8::1 fe80::1'), []);
});

test('a rule is shadowed only when an earlier one covers both its prefixes', () => {
  const warn = (a: string, b: string): boolean =>
    parseConfig(`interface eth0\n rule ${a} tell\n rule ${b} tell\nend\n`, 's.conf').warnings.some((w) => w.code === 'W_RULE_SHADOWED');
  assert.equal(warn('0.0.0.0/0 198.51.100.0/24', '192.0.2.0/24 198.51.100.128/25'), true);
  assert.equal(warn('0.0.0.0/0 198.51.100.0/25', '192.0.2.0/24 198.51.100.0/24'), false);
  assert.equal(warn('192.0.2.0/24 0.0.0.0/0', '0.0.0.0/0 198.51.100.0/24'), false);
  assert.equal(warn('::/0 2001:db8::/32', 'fe80::/10 2001:db8:1::/48'), true);
  assert.equal(warn('::/0 2001:db8::/32', '0.0.0.0/0 0.0.0.0/0'), false); // other family
});

test('every example file loads, and formatConfig round-trips it to an equal model', () => {
  for (const name of ['parpd.conf', 'ndproxy.conf', 'tinc.conf', 'access-router.conf']) {
    const { config } = loadConfig(example(name));
    const again = parseConfig(formatConfig(config), config.file).config;
    assert.deepEqual(withoutPositions(again), withoutPositions(config), name);
  }
});

test('property: formatConfig(parse(x)) parses back to the same model', () => {
  const v4 = fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 })).map(([a, b]) => {
    const m = b === 0 ? 0 : (0xffffffff << (32 - b)) >>> 0;
    const n = (a & m) >>> 0;
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}/${b}`;
  });
  const v6 = fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 16, max: 128 })).map(([a, b]) => `2001:db8:${a.toString(16)}::/${b}`)
    .filter((t) => typeof parsePrefix(t) !== 'string');
  const action4 = fc.constantFrom('ignore', 'tell', 'self', 'route', '198.51.100.1', '02:00:5e:00:53:01', 'template fe:00:00:00:00:00/16');
  const action6 = fc.constantFrom('ignore', 'tell', 'self', 'route', '2001:db8::1', '02:00:5e:00:53:01', 'template fe:00:00:00:00:00/40');
  const flags = fc.subarray(['delay', 'verbose', 'probes']);
  const rule = fc.oneof(
    fc.tuple(v4, v4, flags, action4),
    fc.tuple(v6, v6, flags, action6),
  ).map(([s, t, f, a]) => ` rule ${s} ${t} ${[...f, a].join(' ')}`);
  const iface = fc.record({
    rules: fc.array(rule, { maxLength: 6 }),
    vlan: fc.constantFrom('any', '100', 'untagged,5-7,9', '4094'),
    yn: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    timeout: fc.constantFrom('1', '0.5', '1.011', '30'),
  });
  fc.assert(
    fc.property(fc.array(iface, { minLength: 1, maxLength: 3 }), fc.boolean(), (ifaces, cache) => {
      const lines = cache ? ['cache', ' timeout 60', ' tablesize 10', ' refresh 0*2.5', ' delay 2*1', 'end'] : [];
      ifaces.forEach((f, n) => {
        const yn = (b: boolean): string => (b ? 'yes' : 'no');
        lines.push(`interface eth${n}`, ` timeout ${f.timeout}`, ` vlan ${f.vlan}`, ` promisc ${yn(f.yn[0]!)}`, ` router ${yn(f.yn[1]!)}`);
        lines.push(` override ${yn(f.yn[2]!)}`, ` dad ${f.yn[3] ? 'defend' : 'ignore'}`, ...f.rules, 'end');
      });
      const first = parseConfig(lines.join('\n'), 'p.conf').config;
      const text = formatConfig(first);
      const second = parseConfig(text, 'p.conf').config;
      assert.deepEqual(withoutPositions(second), withoutPositions(first));
      assert.equal(formatConfig(second), text); // canonical: a fixed point
    }),
    { numRuns: 200 },
  );
});

test('ND uplink and exception lists accept several addresses per line', () => {
  const { config } = parseConfig('interface eth0\n uplink fe80::1 2001:db8::1\n exception 2001:db8::2 2001:db8::3\n rule ::/0 2001:db8::/64 self\nend\n', 'u.conf');
  assert.equal(config.interfaces[0]!.nd.uplinks.length, 2);
  assert.deepEqual(config.interfaces[0]!.nd.exceptions.map((a) => [...a]), [[...parseIp6('2001:db8::2')!], [...parseIp6('2001:db8::3')!]]);
  assert.equal(parseMac('02:00:5e:00:53:01'), 0x02005e005301);
});

test('pin: addresses of both families, repeatable, printed back; a repeat warns; a bad one errors', () => {
  const { config, warnings } = parseConfig('interface eth0\n pin 198.51.100.1 2001:db8::1\n pin 198.51.100.2 198.51.100.1\n rule 0.0.0.0/0 198.51.100.0/24 tell\nend\n', 'p.conf');
  assert.deepEqual(config.interfaces[0]!.pins!.map(formatIp), ['198.51.100.1', '2001:db8::1', '198.51.100.2']);
  assert.deepEqual(warnings.map((w) => w.message), ["p.conf:3:19: warning: pin 198.51.100.1 is listed twice"]);
  assert.match(formatConfig(config), /^ pin +198\.51\.100\.1$/m);
  assert.deepEqual(parseConfig(formatConfig(config), 'again').config.interfaces[0]!.pins, config.interfaces[0]!.pins);
  assert.throws(() => parseConfig('interface eth0\n pin\nend\n', 'p.conf'), /p\.conf:2:5: .*expected one or more IP addresses to pin/);
  assert.throws(() => parseConfig('interface eth0\n pin 198.51.100.300\nend\n', 'p.conf'), /p\.conf:2:6: /);
});
