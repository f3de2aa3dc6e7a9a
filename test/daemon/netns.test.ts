// The daemon as an operator runs it: `neighproxy run` in a router namespace, a client
// namespace whose kernel resolves through it. Needs root; skipped otherwise.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { METRICS_LIMITS } from '../../src/daemon/limits';
import { clientRouter, ROUTER_MAC, type ClientRouter } from '../helpers/client-router';
import { needsNetns, type Lab } from '../helpers/netns';
import { nobodySkipReason, readableRoot, runWithoutCaps } from '../helpers/unprivileged';
import { DaemonProcess, kernelResolve, BIN } from './fixtures/daemon';
import { parseProm } from './fixtures/prom';

const skip = needsNetns();

const BASE_CONFIG = `interface rt0
 rule 192.0.2.0/24 192.0.2.0/24 verbose self
 rule ::/0 2001:db8:1::/64 self
end
`;

/** client (cl0 192.0.2.10, 2001:db8:1::10) <-> router (rt0 192.0.2.1, where the daemon runs), BASE_CONFIG in `config`. */
function buildLab(t: { after(fn: () => void): void }, tag: string): ClientRouter {
  return clientRouter(t, tag, { clientAddrs: ['192.0.2.10/24', '2001:db8:1::10/64'], routerAddrs: ['192.0.2.1/24'], config: BASE_CONFIG });
}

/** Status of process `pid`, or of its thread `tid` (/proc/PID/task/TID/status). */
function procStatus(pid: number, tid?: number): { uid: string; gid: string; capEff: string } {
  const s = readFileSync(tid === undefined ? `/proc/${pid}/status` : `/proc/${pid}/task/${tid}/status`, 'utf8');
  const f = (k: string) => new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(s)![1]!.trim().replace(/\s+/g, ' ');
  return { uid: f('Uid'), gid: f('Gid'), capEff: f('CapEff') };
}

function scrape(lab: Lab, ns: string, port: number): Map<string, number> {
  const text = lab.exec(ns, process.execPath, ['-e',
    `require('http').get('http://127.0.0.1:${port}/metrics',r=>{let b='';r.on('data',d=>b+=d);r.on('end',()=>process.stdout.write(b))})`]);
  return parseProm(text);
}

function ctl(ns: string, sock: string, args: string[]): { ok: boolean; [k: string]: unknown } {
  let out: string;
  try {
    out = execFileSync('ip', ['netns', 'exec', ns, process.execPath, BIN, 'ctl', '--control', sock, '--json', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stdout: string; stderr: string };
    out = e.stdout;
    if (!out) throw new Error(`ctl ${args.join(' ')}: ${e.stderr}`);
  }
  return JSON.parse(out) as { ok: boolean };
}

describe('daemon in namespaces', { skip }, () => {
  test('as root it drops to nobody after opening rings, answers, serves metrics and ctl, keeps rules on a bad reload, stops within 1 s', async (t) => {
    const { lab, client, router, dir, config } = buildLab(t, 'drp');
    // Learning off: the compiled filter then admits only configured targets, so the
    // `ctl add` below also checks that runtime statics reach the filter.
    writeFileSync(config, `cache\n timeout 0\nend\n${BASE_CONFIG}`);
    const sock = join(dir, 'ctl.sock');
    const d = new DaemonProcess(lab, router, ['--config', config, '--control', sock, '--metrics', '127.0.0.1:9469', '--tick', '50']);
    await d.started();

    // Privileges: uid/gid nobody in every slot, only CAP_NET_ADMIN and CAP_NET_RAW left.
    const st = procStatus(d.pid);
    assert.equal(st.uid, '65534 65534 65534 65534');
    assert.equal(st.gid, '65534 65534 65534 65534');
    assert.equal(st.capEff, '0000000000003000');

    // The open ring keeps working after the drop: the client's kernel resolves.
    assert.equal(await kernelResolve(lab, client, 'cl0', '192.0.2.33'), ROUTER_MAC);
    assert.equal(await kernelResolve(lab, client, 'cl0', '2001:db8:1::33'), ROUTER_MAC);
    await d.waitLog((l) => l.msg === 'decision' && l.target === '192.0.2.33' && l.reason === 'rule' && l.line === 5);

    // Metrics: parsed, with the requests and replies just made.
    const m = scrape(lab, router, 9469);
    assert.ok(m.get('neighproxy_requests_total{interface="rt0",family="ipv4"}')! >= 1);
    assert.ok(m.get('neighproxy_replies_total{interface="rt0",family="ipv4",action="self"}')! >= 1);
    assert.ok(m.get('neighproxy_replies_total{interface="rt0",family="ipv6",action="self"}')! >= 1);
    assert.ok(m.get('neighproxy_decision_seconds_count{interface="rt0",family="ipv4"}')! >= 1);
    assert.equal(m.get('neighproxy_reloads_total{result="failed"}'), 0);
    // Process and service metrics (metrics-extra.ts): build, process_*, ring state, last reload.
    assert.equal([...m.keys()].filter((k) => k.startsWith('neighproxy_build_info{version=')).length, 1);
    assert.ok(m.get('process_cpu_seconds_total')! > 0);
    assert.equal(m.get('neighproxy_interface_ring_up{interface="rt0"}'), 1);
    assert.equal(m.get('neighproxy_config_last_reload_successful'), 1);

    // ctl add: a static entry outside every rule, then the client's kernel resolves it.
    const added = ctl(router, sock, ['add', '198.51.100.77', '02:00:5e:00:53:77']);
    assert.equal(added.ok, true, JSON.stringify(added));
    lab.exec(client, 'ip', ['route', 'add', '198.51.100.0/24', 'dev', 'cl0']);
    assert.equal(await kernelResolve(lab, client, 'cl0', '198.51.100.77'), '02:00:5e:00:53:77');
    const cache = ctl(router, sock, ['show', 'cache']);
    assert.equal(cache.ok, true);
    const rules = ctl(router, sock, ['show', 'rules']) as { ok: boolean; interfaces: { rules: { line: number; text: string }[] }[] };
    assert.deepEqual(rules.interfaces[0]!.rules.map((r) => [r.line, r.text]),
      [[5, 'rule 192.0.2.0/24 192.0.2.0/24 verbose self'], [6, 'rule ::/0 2001:db8:1::/64 self']]);
    const bad = ctl(router, sock, ['add', '198.51.100.300', '02:00:5e:00:53:77']) as { ok: boolean; error: { code: string } };
    assert.deepEqual([bad.ok, bad.error.code], [false, 'E_BAD_ADDRESS']);

    // A bad file on SIGHUP: logged with file:line:column, the old rules stay in force.
    const mark = d.logs.length;
    writeFileSync(config, `cache\n timeout 0\nend\n${BASE_CONFIG.replace('verbose self', 'verbose slef')}`);
    d.child.kill('SIGHUP');
    const failed = await d.waitLog((l) => l.event === 'reload_failed', 3000, mark);
    assert.match(String(failed.msg), /neighproxy\.conf:5:\d+/);
    assert.equal(await kernelResolve(lab, client, 'cl0', '192.0.2.34'), ROUTER_MAC, 'old rules still answer');
    // A scrape within renderCacheMs of the last one gets the same render: wait past it.
    await new Promise((r) => setTimeout(r, METRICS_LIMITS.renderCacheMs + 100));
    const after = scrape(lab, router, 9469);
    assert.equal(after.get('neighproxy_reloads_total{result="failed"}'), 1);
    assert.equal(after.get('neighproxy_config_last_reload_successful'), 0);

    // SIGTERM: gone within a second, socket removed.
    const ms = await d.signal('SIGTERM');
    assert.ok(ms < 1000, `stopped in ${ms} ms`);
    assert.equal(d.child.exitCode, 0);
    t.diagnostic(`SIGTERM to exit: ${ms} ms`);
  });

  test('an interface deleted and recreated is picked up again (unprivileged with ambient CAP_NET_RAW, as under systemd)', { skip: nobodySkipReason() }, async (t) => {
    const { lab, client, router, config, link } = buildLab(t, 'rcr');
    const wrap = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups',
      '--inh-caps=+net_raw,+net_admin', '--ambient-caps=+net_raw,+net_admin'];
    const d = new DaemonProcess(lab, router, ['--config', config, '--no-control', '--link-poll', '100'], wrap, readableRoot());
    await d.started();
    const st = procStatus(d.pid);
    assert.equal(st.uid, '65534 65534 65534 65534');
    assert.equal(st.capEff, '0000000000003000', 'CAP_NET_ADMIN and CAP_NET_RAW only');
    assert.equal(await kernelResolve(lab, client, 'cl0', '192.0.2.40'), ROUTER_MAC, d.describe());

    lab.exec(router, 'ip', ['link', 'del', 'rt0']); // takes cl0 with it
    await d.waitLog((l) => l.event === 'link_vanished');
    link();
    await d.waitLog((l) => l.event === 'ring_open' && d.logs.some((x) => x.event === 'link_vanished'));
    assert.equal(await kernelResolve(lab, client, 'cl0', '192.0.2.41'), ROUTER_MAC, `answers on the new rt0\n${d.describe()}`);
    assert.ok(!d.exited);
    await d.signal('SIGTERM');
  });

  test('started as root with --user nobody: keeps CAP_NET_RAW/CAP_NET_ADMIN, and a ring for an interface created after the drop opens and answers', async (t) => {
    const { lab, client, router, config, link } = buildLab(t, 'kcp');
    lab.exec(router, 'ip', ['link', 'del', 'rt0']); // takes cl0 with it: rt9 does not exist yet
    writeFileSync(config, BASE_CONFIG.replace('interface rt0', 'interface rt9'));
    const d = new DaemonProcess(lab, router, ['--config', config, '--no-control', '--user', 'nobody', '--link-poll', '100']);
    await d.started();
    await d.waitLog((l) => l.event === 'ring_open_failed' && l.code === 'ENODEV');
    const priv = await d.waitLog((l) => l.event === 'privileges');
    assert.equal(priv.uid, 65534);
    // The main thread (the one that opens rings) as the kernel sees it.
    const st = procStatus(d.pid, d.pid);
    assert.equal(st.uid, '65534 65534 65534 65534');
    assert.equal(st.gid, '65534 65534 65534 65534');
    assert.equal(st.capEff, '0000000000003000', 'CAP_NET_ADMIN and CAP_NET_RAW kept');

    link('rt9');
    await d.waitLog((l) => l.event === 'ring_open' && l.interface === 'rt9');
    assert.ok(!d.logs.some((l) => l.event === 'ring_open_failed' && l.code === 'EPERM'), d.describe());
    assert.equal(await kernelResolve(lab, client, 'cl0', '192.0.2.60'), ROUTER_MAC, `answers on rt9\n${d.describe()}`);
    assert.equal(await kernelResolve(lab, client, 'cl0', '2001:db8:1::60'), ROUTER_MAC);
    const ms = await d.signal('SIGTERM');
    assert.equal(d.child.exitCode, 0, `exit after ${ms} ms`);
  });

  test('an interface absent at start is opened when it appears', async (t) => {
    const { lab, client, router, config } = buildLab(t, 'abs');
    writeFileSync(config, BASE_CONFIG.replace('interface rt0', 'interface rt9'));
    const d = new DaemonProcess(lab, router, ['--config', config, '--no-control', '--no-drop']);
    await d.started();
    await d.waitLog((l) => l.event === 'ring_open_failed' && l.code === 'ENODEV');
    lab.exec(router, 'ip', ['link', 'set', 'rt0', 'name', 'rt9']);
    lab.exec(router, 'ip', ['link', 'set', 'rt9', 'up']);
    // The daemon's own line (with workers: once every worker's ring is open, not the first worker's).
    await d.waitLog((l) => l.event === 'ring_open' && l.interface === 'rt9' && l.worker === undefined);
    assert.equal(await kernelResolve(lab, client, 'cl0', '192.0.2.50'), ROUTER_MAC);
    // Down and up again: answering resumes on the same ring (nothing reopened).
    const mark = d.logs.length;
    lab.exec(router, 'ip', ['link', 'set', 'rt9', 'down']);
    await d.waitLog((l) => l.event === 'link_down');
    lab.exec(router, 'ip', ['link', 'set', 'rt9', 'up']);
    await d.waitLog((l) => l.event === 'link_up', 5000, mark);
    assert.equal(await kernelResolve(lab, client, 'cl0', '192.0.2.51'), ROUTER_MAC, 'answers after down/up');
    // Down and up within one command, far shorter than a poll period (1 s here).
    lab.exec(router, 'sh', ['-c', 'ip link set rt9 down && ip link set rt9 up']);
    assert.equal(await kernelResolve(lab, client, 'cl0', '192.0.2.52'), ROUTER_MAC, 'answers after a fast down/up');
    assert.ok(!d.logs.slice(mark).some((l) => l.event === 'ring_open' || l.event === 'ring_reopen'), `no ring reopened\n${d.logs.slice(mark).map((l) => JSON.stringify(l)).join("\n")}`);
    const ms = await d.signal('SIGINT');
    assert.ok(ms < 1000, `SIGINT: stopped in ${ms} ms`);
    assert.equal(d.child.exitCode, 0);
  });

  test('without CAP_NET_RAW the daemon refuses to start and says which capability', { skip: nobodySkipReason() }, (t) => {
    const { router, config } = buildLab(t, 'cap');
    const { code, stderr } = runWithoutCaps(router, config, 5000);
    assert.equal(code, 77, 'EX_NOPERM: systemd must not restart it (RestartPreventExitStatus)');
    assert.match(stderr, /rt0.*CAP_NET_RAW/);
  });

  test('neighproxy demo runs, resolves through the daemon and cleans up', () => {
    let out = '';
    try {
      out = execFileSync(process.execPath, [BIN, 'demo'], { encoding: 'utf8', timeout: 15000, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      const e = err as { message: string; stdout?: string; stderr?: string };
      assert.fail(`${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`); // what the demo said, to tell a slow start from a wrong answer
    }
    assert.match(out, /192\.0\.2\.20 lladdr/);
    assert.match(out, /2001:db8:1::20 lladdr/);
    assert.match(out, /^ok: both addresses resolved/m);
    const names = /^lab: client (\S+) .*router (\S+) .*hosts (\S+) /m.exec(out);
    assert.ok(names, out);
    const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    for (const ns of names.slice(1)) assert.ok(!left.includes(ns!), `${ns} left behind`);
  });
});

