// `probe IFACE autowire` with real kernels (issue 14, items 1 and 2): an uplink router, the
// neighproxy box, and a downstream LAN (a bridge) with two hosts. The uplink reaches an
// existing host end to end through the host route the daemon installs (proto 78); an
// address nobody holds costs one probe on the LAN, and a second try within the absent
// lifetime none; after SIGKILL the next start removes the routes left behind before it
// answers anything; SIGTERM removes the routes of the run. Needs root; skipped otherwise.
// Bounded: a handful of UDP datagrams (echoed by the hosts), each wait at most 2.5 s.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Lab, needsNetns, waitFor } from '../helpers/netns';
import { BIN, DaemonProcess } from './fixtures/daemon';

const skip = needsNetns();
const BOX_LAN_LL = 'fe80::2';

function buildLab(tag: string) {
  const lab = new Lab(tag);
  const dir = mkdtempSync(join(tmpdir(), 'npp-'));
  chmodSync(dir, 0o755);
  try {
    const up = lab.netns('up');
    const box = lab.netns('box');
    const lan = lab.netns('lan');
    const h1 = lab.netns('h1');
    const h2 = lab.netns('h2');
    lab.exec(lan, 'ip', ['link', 'add', 'br0', 'type', 'bridge']);
    lab.exec(lan, 'ip', ['link', 'set', 'br0', 'up']);
    lab.veth(up, 'u0', box, 'bup');
    lab.veth(box, 'blan', lan, 'l0');
    lab.veth(h1, 'e0', lan, 'l1');
    lab.veth(h2, 'e0', lan, 'l2');
    for (const p of ['l0', 'l1', 'l2']) lab.exec(lan, 'ip', ['link', 'set', p, 'master', 'br0']);
    // The uplink sees 192.0.2.0/24 and 2001:db8:1::/64 on its link; the hosts sit behind the box.
    lab.exec(up, 'ip', ['addr', 'add', '192.0.2.1/24', 'dev', 'u0']);
    lab.exec(up, 'ip', ['-6', 'addr', 'add', '2001:db8:1::1/64', 'dev', 'u0', 'nodad']);
    const b = (...a: string[]) => lab.exec(box, 'ip', a);
    b('addr', 'add', '192.0.2.2/24', 'dev', 'bup');
    b('-6', 'addr', 'add', '2001:db8:1::2/64', 'dev', 'bup', 'nodad');
    b('addr', 'add', '198.51.100.1/24', 'dev', 'blan');
    b('-6', 'addr', 'flush', 'dev', 'blan');
    b('-6', 'addr', 'add', `${BOX_LAN_LL}/64`, 'dev', 'blan', 'nodad');
    lab.exec(box, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']);
    for (const [h, v4, v6] of [[h1, '192.0.2.10', '2001:db8:1::10'], [h2, '192.0.2.11', '2001:db8:1::11']] as const) {
      lab.exec(h, 'ip', ['addr', 'add', `${v4}/32`, 'dev', 'e0']);
      lab.exec(h, 'ip', ['route', 'add', '198.51.100.1/32', 'dev', 'e0']);
      lab.exec(h, 'ip', ['route', 'add', 'default', 'via', '198.51.100.1', 'dev', 'e0']);
      lab.exec(h, 'ip', ['-6', 'addr', 'add', `${v6}/128`, 'dev', 'e0', 'nodad']);
      lab.exec(h, 'ip', ['-6', 'route', 'add', 'default', 'via', BOX_LAN_LL, 'dev', 'e0']);
    }
    const config = join(dir, 'neighproxy.conf');
    writeFileSync(config, [
      'interface bup',
      ' rule 0.0.0.0/0 192.0.2.0/24 verbose probe blan autowire absent 60',
      ' rule ::/0 2001:db8:1::/64 verbose probe blan autowire absent 60',
      'end',
      'interface blan',
      'end',
      '',
    ].join('\n'));
    return { lab, dir, config, up, box, lan, h1, h2, sock: join(dir, 'ctl.sock') };
  } catch (err) {
    lab.destroy();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

type L = ReturnType<typeof buildLab>;

const ECHO_PORT = 7007;

/** A UDP echo server in a host namespace (dual-stack), killed by lab.destroy(). */
async function echoServer(l: L, ns: string): Promise<void> {
  const child = l.lab.spawn(ns, process.execPath, ['-e',
    `const s=require('dgram').createSocket('udp6');s.on('message',(m,r)=>s.send(m,r.port,r.address));s.bind(${ECHO_PORT},()=>console.log('up'))`]);
  let up = false;
  child.stdout!.on('data', () => { up = true; });
  assert.ok(await waitFor(() => up, 5000), 'echo server started');
}

/** From the uplink: up to `tries` datagrams to dst, 300 ms apart; true when one came back (within 2.5 s). */
function echo(l: L, dst: string, tries = 3): boolean {
  const type = dst.includes(':') ? 'udp6' : 'udp4';
  const r = l.lab.exec(l.up, process.execPath, ['-e',
    `const s=require('dgram').createSocket('${type}');let n=0;const go=()=>{if(n++<${tries})s.send('x',${ECHO_PORT},'${dst}',()=>{});};` +
    `s.on('message',()=>{console.log('echo');process.exit(0)});s.on('error',()=>{});go();setInterval(go,300);setTimeout(()=>{console.log('none');process.exit(0)},2500)`]);
  return r.includes('echo');
}

/** `ip route show proto 78` in the box, both families: the destinations. */
function ourRoutes(l: L): string[] {
  const out: string[] = [];
  for (const fam of ['-4', '-6']) {
    const j = JSON.parse(l.lab.exec(l.box, 'ip', ['-j', fam, 'route', 'show', 'table', 'all', 'proto', '78']) || '[]') as { dst: string; dev: string }[];
    for (const r of j) out.push(`${r.dst} ${r.dev}`);
  }
  return out.sort();
}

function ctlStats(l: L): { probe: { sent: number; absent: { entries: number; bytes: number }; alive: { entries: number; bytes: number } } } {
  const out = execFileSync('ip', ['netns', 'exec', l.box, process.execPath, BIN, 'ctl', '--control', l.sock, '--json', 'show', 'stats'], { encoding: 'utf8' });
  return JSON.parse(out) as ReturnType<typeof ctlStats>;
}

/** tcpdump on h2's link: every ARP request and NS it sees, as text lines. */
async function capture(l: L): Promise<{ lines: string[]; child: ChildProcess }> {
  const child = l.lab.spawn(l.h2, 'tcpdump', ['-n', '-l', '-i', 'e0', 'arp or (icmp6 and ip6[40] = 135)']);
  const lines: string[] = [];
  let listening = false;
  createInterface({ input: child.stdout! }).on('line', (x) => lines.push(x));
  createInterface({ input: child.stderr! }).on('line', (x) => { if (/listening on/.test(x)) listening = true; });
  assert.ok(await waitFor(() => listening, 5000), 'tcpdump started');
  return { lines, child };
}

function start(l: L): DaemonProcess {
  return new DaemonProcess(l.lab, l.box, ['--config', l.config, '--control', l.sock, '--tick', '50', '--log-level', 'debug']);
}

describe('probe and autowire in namespaces', { skip }, () => {
  test('an existing host is answered, routed (proto 78) and reached; a missing one costs one probe; SIGKILL leaves routes the next start removes first', async (t) => {
    const l = buildLab('prb');
    t.after(() => { l.lab.destroy(); rmSync(l.dir, { recursive: true, force: true }); });
    await echoServer(l, l.h1);
    await echoServer(l, l.h2);
    const cap = await capture(l);
    let d = start(l);
    t.after(() => { if (!d.exited) d.child.kill('SIGKILL'); });
    await d.started();
    // Existing hosts, both families: the answer comes after the probe, the route follows, the datagram is echoed.
    for (const target of ['2001:db8:1::10', '192.0.2.10']) {
      echo(l, target, 1); // the first datagram may race the route install
      assert.ok(await waitFor(() => ourRoutes(l).some((r) => r.startsWith(target)), 3000), `route to ${target}\n${d.describe()}`);
      assert.ok(echo(l, target), `${target} reached end to end\n${d.describe()}`);
    }
    assert.deepEqual(ourRoutes(l), ['192.0.2.10 blan', '2001:db8:1::10 blan']);
    // Nobody holds these: no answer, one probe each; a second try within `absent 60` sends none.
    for (const ghost of ['2001:db8:1::99', '192.0.2.99']) {
      assert.equal(echo(l, ghost, 1), false, `${ghost} unanswered`);
      assert.equal(echo(l, ghost, 1), false, 'again, within the absent lifetime');
    }
    await new Promise((r) => setTimeout(r, 300));
    const probesFor = (a: string) => cap.lines.filter((x) => (a.includes(':') ? x.includes(`who has ${a}`) : x.includes(`who-has ${a} `))).length;
    assert.equal(probesFor('2001:db8:1::99'), 1, `one NS for the ghost on the LAN\n${cap.lines.join('\n')}`);
    assert.equal(probesFor('192.0.2.99'), 1, `one ARP request for the ghost\n${cap.lines.join('\n')}`);
    const absentDecisions = d.logs.filter((x) => x.reason === 'probe_absent').length;
    assert.ok(absentDecisions >= 2, `retransmissions answered from the absent table (${absentDecisions})\n${d.describe()}`);
    const s = ctlStats(l);
    assert.equal(s.probe.sent, 4, 'two hosts found, two ghosts: four probes');
    assert.equal(s.probe.absent.entries, 2);
    // SIGKILL: nothing cleans up, the routes stay.
    await d.signal('SIGKILL');
    assert.deepEqual(ourRoutes(l), ['192.0.2.10 blan', '2001:db8:1::10 blan'], 'left behind by the killed run');
    // A route someone else installed (another protocol) is never touched.
    l.lab.exec(l.box, 'ip', ['route', 'add', '192.0.2.11/32', 'dev', 'blan', 'proto', 'static']);
    d = start(l);
    await d.started();
    const flushed = d.logs.findIndex((x) => x.event === 'autowire_flushed');
    assert.ok(flushed >= 0, d.describe());
    assert.equal(d.logs[flushed]!.routes, 2);
    const firstDecision = d.logs.findIndex((x) => typeof x.reason === 'string');
    assert.ok(firstDecision < 0 || firstDecision > flushed, 'flushed before the first decision');
    assert.ok(flushed < d.logs.findIndex((x) => x.event === 'started'), 'flushed before start completed');
    assert.match(l.lab.exec(l.box, 'ip', ['route', 'show', '192.0.2.11/32']), /proto static/, 'the static route stays');
    // The new run finds the host again and installs its route; SIGTERM removes it.
    l.lab.exec(l.up, 'ip', ['neigh', 'flush', 'dev', 'u0']); // else the uplink still has the box's MAC and asks nothing
    echo(l, '192.0.2.10', 1);
    assert.ok(await waitFor(() => ourRoutes(l).includes('192.0.2.10 blan'), 3000), d.describe());
    await d.signal('SIGTERM');
    assert.deepEqual(ourRoutes(l), [], 'stop removes the routes of the run');
    assert.match(l.lab.exec(l.box, 'ip', ['route', 'show', '192.0.2.11/32']), /proto static/);
    cap.child.kill('SIGTERM');
  });
});
