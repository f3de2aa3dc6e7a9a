import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ArgError, parseCommandArgs, type ArgSpec } from '../../src/cli/args';
import { closest, editDistance } from '../../src/cli/suggest';
import { parseCheckArgs } from '../../src/cli/commands/check';
import { ctlRequest } from '../../src/cli/commands/ctl';
import { parseRunArgs } from '../../src/daemon/args';

const ROOT = join(__dirname, '..', '..', '..');
const BIN = join(ROOT, 'bin', 'neighproxy');
const SPEC: ArgSpec = {
  command: 'demo',
  options: { config: { type: 'string', short: 'c', value: 'FILE' }, interface: { type: 'string', short: 'i', value: 'IF' }, json: { type: 'boolean', short: 'j' } },
  positionals: ['CAPTURE'],
};

const msg = (argv: string[], spec = SPEC): string => {
  try {
    parseCommandArgs(spec, argv);
  } catch (err) {
    assert.ok(err instanceof ArgError, String(err));
    return err.message;
  }
  assert.fail(`accepted ${argv.join(' ')}`);
};

test('long, short and inline forms give the same values; - is a word', () => {
  for (const argv of [['--config', 'a.conf'], ['-c', 'a.conf'], ['--config=a.conf'], ['-ca.conf']]) {
    assert.deepEqual(parseCommandArgs(SPEC, argv).values, { config: 'a.conf' }, argv.join(' '));
  }
  assert.deepEqual(parseCommandArgs(SPEC, ['-c', '-', '-']), { values: { config: '-' }, positionals: ['-'] });
  assert.deepEqual(parseCommandArgs(SPEC, ['-j', '--', '--weird']).positionals, ['--weird']);
});

test('mistakes get one sentence each, with the nearest option when misspelt', () => {
  assert.equal(msg(['--conf', 'x']), "unknown option '--conf' (did you mean --config?)");
  assert.equal(msg(['--interfce', 'eth0']), "unknown option '--interfce' (did you mean --interface?)");
  assert.equal(msg(['--jsno']), "unknown option '--jsno' (did you mean --json?)");
  assert.equal(msg(['--verbose']), "unknown option '--verbose'");
  assert.equal(msg(['-x']), "unknown option '-x'");
  assert.equal(msg(['--config']), '--config needs a FILE');
  assert.equal(msg(['-i']), '-i needs an IF');
  assert.equal(msg(['--config', '--json']), "--config needs a FILE, found the option '--json'");
  assert.equal(msg(['--json=yes']), "--json takes no value (found '--json=yes')");
  assert.equal(msg(['-c', 'a', '--config', 'b']), '--config given twice');
  assert.equal(msg(['a.pcap', 'b.pcap']), "unexpected argument 'b.pcap' (demo takes at most CAPTURE)");
  assert.equal(msg(['x'], { command: 'version', options: {} }), "unexpected argument 'x' (version takes no arguments)");
  assert.equal(msg(['--x'], { command: 'version', options: {} }), "unknown option '--x' ('version' takes no options)");
});

test('a multiple option collects its values in order; others still refuse a repeat', () => {
  const spec: ArgSpec = { command: 'x', options: { interface: { type: 'string', short: 'i', value: 'IF', multiple: true }, config: { type: 'string', value: 'FILE' } } };
  assert.deepEqual(parseCommandArgs(spec, ['-i', 'a', '--interface=b', '-ic']).values, { interface: ['a', 'b', 'c'] });
  assert.equal(msg(['--config', 'a', '--config', 'b'], spec), '--config given twice');
  assert.equal(msg(['-i', 'a', '-i'], spec), '-i needs an IF');
});

test('suggestions: prefixes, transpositions, nothing when far', () => {
  assert.equal(editDistance('slef', 'self'), 1);
  assert.equal(editDistance('interfce', 'interface'), 1);
  assert.equal(closest('slef', ['self', 'tell', 'mac']), 'self');
  assert.equal(closest('--conf', ['--config', '--control']), '--config');
  assert.equal(closest('--con', ['--config', '--control']), undefined);
  assert.equal(closest('--colour', ['--config', '--check']), undefined);
});

test('check takes FILE or --config FILE, not both, not neither', () => {
  assert.deepEqual(parseCheckArgs(['a.conf']), { file: 'a.conf', quiet: false });
  assert.deepEqual(parseCheckArgs(['-q', '-c', 'a.conf']), { file: 'a.conf', quiet: true });
  assert.deepEqual(parseCheckArgs(['-']), { file: '-', quiet: false });
  assert.throws(() => parseCheckArgs([]), { message: 'which file? expected FILE, --config FILE, or - for standard input' });
  assert.throws(() => parseCheckArgs(['-c', 'a', 'b']), { message: "the file is given twice ('a' and 'b'): use FILE or --config FILE" });
});

test('run and ctl use the same parser and messages', () => {
  assert.throws(() => parseRunArgs(['--conf', 'x'], {}), { message: "unknown option '--conf' (did you mean --config?)" });
  assert.throws(() => parseRunArgs(['--tick'], {}), { message: '--tick needs a NUMBER of milliseconds' });
  assert.equal(parseRunArgs(['-c', '/x.conf'], {}).config, '/x.conf');
  assert.deepEqual(ctlRequest(['show', 'cache', '-j']).json, true);
  assert.deepEqual(ctlRequest(['add', '192.0.2.7', '02:00:5e:00:53:07', '-i', 'eth0', '--announce']).req,
    { cmd: 'add', address: '192.0.2.7', mac: '02:00:5e:00:53:07', announce: true, interface: 'eth0' });
  assert.throws(() => ctlRequest(['show', 'everything']), { message: "expected 'show cache|rules|stats', 'add ADDRESS MAC', 'del ADDRESS', 'save' or 'role active|standby|auto [IF]', found 'show everything'" });
  assert.deepEqual(ctlRequest(['role', 'standby', 'lan0']).req, { cmd: 'role', role: 'standby', interface: 'lan0' });
  assert.deepEqual(ctlRequest(['role', 'auto']).req, { cmd: 'role', role: 'auto' });
  assert.throws(() => ctlRequest(['role', 'master']), /role active\|standby\|auto/);
  assert.throws(() => ctlRequest(['del', '192.0.2.7', '--announce']), { message: "--announce goes with 'add'" });
});

test('the installed command: filter -c and replay -c work, check reads stdin, usage errors exit 2 with a hint', () => {
  const run = (args: string[], input?: string) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', input });
  const conf = join(ROOT, 'examples', 'tinc.conf');
  const f = run(['filter', '-c', conf]);
  assert.equal(f.status, 0, f.stderr);
  assert.match(f.stdout, /; interface /);
  const r = run(['replay', '-c', conf, '/nonexistent.pcap']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /\/nonexistent\.pcap: /);
  const s = run(['check', '-'], 'interface eth0\n rule 192.0.2.0/24 192.0.2.9/32 self\nend\n');
  assert.equal(s.status, 0, s.stderr);
  assert.match(s.stdout, /interface eth0/);
  const bad = run(['check', '-'], 'interface eth0\n rule 192.0.2.0/24\nend\n');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^<stdin>:2:/);
  const u = run(['check', '--conf', conf]);
  assert.equal(u.status, 2);
  assert.equal(u.stderr, "neighproxy check: unknown option '--conf' (did you mean --config?)\ntry 'neighproxy check --help'\n");
  const c = run(['chek']);
  assert.equal(c.status, 2);
  assert.match(c.stderr, /^neighproxy: unknown command 'chek' \(did you mean 'check'\?\)/);
});
