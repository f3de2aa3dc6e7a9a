// Offline commands load no HTTP or metrics code: `neighproxy replay`, `check`, `filter`
// and `help` run the real CLI with a preload that, at exit, reports every module the
// process loaded (require.cache for files, process.moduleLoadList for node's builtins).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseIp4, parseMac } from '../../src/net/addr';
import { writePcap } from '../../src/pcap/pcap';
import { buildArpRequest } from '../../src/wire/build';

const ROOT = join(__dirname, '..', '..', '..');
const BIN = join(ROOT, 'bin', 'neighproxy');

const CONF = `interface eth1
 rule 0.0.0.0/0 192.0.2.0/24 self
end
`;

const HOOK = `process.on('exit', () => {
  require('node:fs').writeFileSync(process.env.NP_MODULES_OUT, JSON.stringify({
    files: Object.keys(require.cache), builtins: process.moduleLoadList,
  }));
});
`;

interface Loaded { code: number; out: string; files: string[]; builtins: string[] }

function runWithReport(dir: string, args: string[]): Loaded {
  const report = join(dir, `modules-${args[0]}.json`);
  const r = spawnSync(process.execPath, ['--require', join(dir, 'hook.js'), BIN, ...args], {
    encoding: 'utf8', env: { ...process.env, NP_MODULES_OUT: report }, timeout: 20_000,
  });
  const { files, builtins } = JSON.parse(readFileSync(report, 'utf8')) as { files: string[]; builtins: string[] };
  return { code: r.status ?? -1, out: r.stdout + r.stderr, files, builtins };
}

/** What must never load offline: node's HTTP stack, prom-client, the exporter and the daemon itself. */
function forbidden(l: Loaded): string[] {
  const builtins = l.builtins.filter((m) => /^NativeModule (https?|_http_\w+)$/.test(m));
  const files = l.files.filter((f) => /[\\/]node_modules[\\/]prom-client[\\/]/.test(f) || /[\\/]dist[\\/]src[\\/]daemon[\\/](metrics|daemon|main)\.js$/.test(f));
  return [...builtins, ...files];
}

test('replay, check, filter and help load neither node:http nor prom-client nor the daemon', () => {
  const dir = mkdtempSync(join(tmpdir(), 'npoffline-'));
  try {
    writeFileSync(join(dir, 'hook.js'), HOOK);
    const conf = join(dir, 'np.conf');
    writeFileSync(conf, CONF);
    const frame = new Uint8Array(64);
    const len = buildArpRequest(frame, 0, -1, 0xffffffffffff, parseMac('02:00:5e:00:53:02')!, parseIp4('192.0.2.254')!, parseIp4('192.0.2.9')!);
    const pcap = join(dir, 'c.pcap');
    writeFileSync(pcap, writePcap([{ data: frame.subarray(0, len), origLen: len, tsSec: 1, tsNsec: 0 }]));

    const runs: [string[], RegExp][] = [
      [['replay', '--config', conf, pcap], /answer self line 2 \(rule\)/],
      [['check', '--config', conf], /eth1/],
      [['filter', '--config', conf], /ld/],
      [['help'], /topics:/],
    ];
    for (const [args, expect] of runs) {
      const l = runWithReport(dir, args);
      assert.equal(l.code, 0, `${args.join(' ')}: ${l.out}`);
      assert.match(l.out, expect, `${args[0]} did its work`);
      // The report is live: the command's own modules are in it.
      assert.ok(l.files.some((f) => f.endsWith(join('cli', 'commands', `${args[0]}.js`))), `${args[0]}: report lists the command`);
      assert.ok(l.builtins.includes('NativeModule fs'), 'report lists builtins');
      assert.deepEqual(forbidden(l), [], `${args.join(' ')} loaded HTTP or metrics code`);
    }
    // The same report does see HTTP where it is loaded.
    const l = runWithReport(dir, ['run', '--check', '--config', conf]);
    assert.equal(l.code, 0, l.out);
    assert.ok(forbidden(l).length > 0, `run loads the daemon: ${forbidden(l).join(' ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
