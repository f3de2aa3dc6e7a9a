// `neighproxy demo`: the README's "run it" command. Builds a throw-away namespace lab,
// runs the daemon in it, lets a client kernel resolve proxied IPv4 and IPv6 addresses,
// shows what was asked and answered, and removes everything again (also on Ctrl-C).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { UsageError, type Command } from '../command';

const BIN = join(__dirname, '..', '..', '..', '..', 'bin', 'neighproxy');

const USAGE = `usage: neighproxy demo [--keep-going]

Shows neighproxy answering a real kernel, on any Linux machine, without configuration:
  client namespace   cl0  192.0.2.10/24  2001:db8:1::10/64
  router namespace   rt0  192.0.2.1/24   2001:db8:1::1/64   <- neighproxy runs here
                     rt1  route to the hosts
  hosts namespace    hs0  192.0.2.20/24  2001:db8:1::20/64
The hosts are on the client's subnet but behind the router: the client's kernel
sends ARP and NS for them on cl0, neighproxy answers with the router's MAC ('self'
rules), and the client's datagrams reach the hosts through the router.

Needs root (network namespaces) and iproute2. Documentation addresses only; the lab
is removed when the demo ends, fails or is interrupted. Exit 0 when the client's
kernel resolved both addresses to the router's MAC.
`;

const CONFIG = `# neighproxy demo: answer the client's ARP and NS for the hosts behind this router
interface rt0
 rule 192.0.2.0/24     192.0.2.20/32        verbose self
 rule 2001:db8:1::/64  2001:db8:1::20/128   verbose self
 rule 0.0.0.0/0        0.0.0.0/0            verbose ignore
end
`;

/** How long the demo waits for the daemon's `started` line before it gives up. */
const START_WAIT_MS = 30_000;

const TARGETS = ['192.0.2.20', '2001:db8:1::20'];

function ip(args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

class DemoLab {
  readonly tag = `npd${process.pid.toString(36)}`;
  readonly ns = { client: `${this.tag}-cl`, router: `${this.tag}-rt`, hosts: `${this.tag}-hs` };
  private readonly made: string[] = [];
  readonly children: ChildProcess[] = [];
  readonly dir = mkdtempSync(join(tmpdir(), 'neighproxy-demo-'));

  in(ns: string, cmd: string, args: string[]): string {
    return ip(['netns', 'exec', ns, cmd, ...args]);
  }

  build(): void {
    for (const ns of Object.values(this.ns)) {
      ip(['netns', 'add', ns]);
      this.made.push(ns);
      this.in(ns, 'ip', ['link', 'set', 'lo', 'up']);
      // No duplicate-address detection delay: addresses are usable at once.
      this.in(ns, 'sysctl', ['-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0',
        'net.ipv6.conf.default.router_solicitations=0']);
    }
    const { client, router, hosts } = this.ns;
    ip(['link', 'add', 'cl0', 'netns', client, 'type', 'veth', 'peer', 'name', 'rt0', 'netns', router]);
    ip(['link', 'add', 'rt1', 'netns', router, 'type', 'veth', 'peer', 'name', 'hs0', 'netns', hosts]);
    this.in(router, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']);
    const addrs: [string, string, string[]][] = [
      [client, 'cl0', ['192.0.2.10/24', '2001:db8:1::10/64']],
      [router, 'rt0', ['192.0.2.1/24', '2001:db8:1::1/64']],
      [router, 'rt1', []],
      [hosts, 'hs0', ['192.0.2.20/24', '2001:db8:1::20/64']],
    ];
    for (const [ns, dev, list] of addrs) {
      for (const a of list) this.in(ns, 'ip', ['addr', 'add', a, 'dev', dev]);
      this.in(ns, 'ip', ['link', 'set', dev, 'up']);
    }
    this.in(router, 'ip', ['route', 'add', '192.0.2.20/32', 'dev', 'rt1']);
    this.in(router, 'ip', ['-6', 'route', 'add', '2001:db8:1::20/128', 'dev', 'rt1']);
    this.in(hosts, 'ip', ['route', 'add', 'default', 'dev', 'hs0']);
  }

  spawnIn(ns: string, cmd: string, args: string[]): ChildProcess {
    const c = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.push(c);
    return c;
  }

  destroy(): void {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const ns of this.made.reverse()) {
      try {
        ip(['netns', 'del', ns]);
      } catch { /* already gone */ }
    }
    this.made.length = 0;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

interface LogLine { event?: string; msg?: string; source?: string; target?: string; mac?: string; line?: number; action?: string; verdict?: string; reason?: string; family?: number; level?: number }

function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  return new Promise((resolve) => {
    const step = (): void => {
      if (check()) resolve(true);
      else if (Date.now() > end) resolve(false);
      else setTimeout(step, 25);
    };
    step();
  });
}

/** The hosts print every datagram they receive: proof the answers led somewhere. */
function startListeners(lab: DemoLab): string[] {
  const received: string[] = [];
  const listener = lab.spawnIn(lab.ns.hosts, process.execPath, ['-e', `
    const dgram = require('dgram');
    for (const [type, addr] of [['udp4', '192.0.2.20'], ['udp6', '2001:db8:1::20']]) {
      const s = dgram.createSocket(type);
      s.on('message', (m, r) => console.log(addr + ' got "' + m + '" from ' + r.address));
      s.bind(9999, addr, () => console.log('listening ' + addr));
    }`]);
  createInterface({ input: listener.stdout! }).on('line', (l) => received.push(l));
  return received;
}

/** The daemon in the router's namespace, its JSON log lines parsed as they come. */
function startDaemon(lab: DemoLab, configPath: string): { daemon: ReturnType<DemoLab['spawnIn']>; logs: LogLine[]; stderr: string[] } {
  const daemon = lab.spawnIn(lab.ns.router, process.execPath, [BIN, 'run', '--config', configPath, '--no-control', '--no-drop', '--log-level', 'info']);
  const logs: LogLine[] = [];
  const stderr: string[] = [];
  createInterface({ input: daemon.stdout! }).on('line', (l) => {
    try {
      logs.push(JSON.parse(l) as LogLine);
    } catch {
      stderr.push(l);
    }
  });
  createInterface({ input: daemon.stderr! }).on('line', (l) => stderr.push(l));
  return { daemon, logs, stderr };
}

/** What was asked and answered, the client's neighbour table, and what the hosts received. */
function printReport(out: (s: string) => boolean, lab: DemoLab, logs: LogLine[], received: string[]): void {
  out('');
  out('asked and answered (neighproxy decision log):');
  for (const l of logs.filter((x) => x.msg === 'decision')) {
    const what = l.family === 6 ? 'NS ' : 'ARP';
    const ans = l.verdict === 'answer' ? `answered ${l.target} is-at ${l.mac}` : `${l.verdict} (${l.reason})`;
    out(`  ${what} from ${l.source}: who has ${l.target}?  ->  ${ans}  [rule line ${l.line}, ${l.action}]`);
  }
  out('');
  out(`ip neigh show dev cl0 (client):`);
  for (const l of lab.in(lab.ns.client, 'ip', ['neigh', 'show', 'dev', 'cl0']).trimEnd().split('\n')) out(`  ${l}`);
  out('');
  out('the hosts received:');
  for (const l of received.filter((x) => x.includes(' got '))) out(`  ${l}`);
}

export const command: Command = {
  summary: 'build a namespace lab and watch neighproxy answer a real kernel (needs root)',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    if (argv.length > 0) throw new UsageError(`unexpected argument '${argv[0]}'`);
    if (process.getuid?.() !== 0) throw new UsageError('the demo builds network namespaces: run it as root (sudo neighproxy demo)', 1);
    try {
      ip(['-V']);
    } catch {
      throw new UsageError('the demo needs iproute2 (the ip command)', 1);
    }
    const out = (s: string): boolean => process.stdout.write(`${s}\n`);
    const lab = new DemoLab();
    const onSignal = (): void => {
      lab.destroy();
      process.exit(130);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const t0 = Date.now();
      lab.build();
      const configPath = join(lab.dir, 'demo.conf');
      writeFileSync(configPath, CONFIG);
      const routerMac = lab.in(lab.ns.router, 'cat', ['/sys/class/net/rt0/address']).trim();
      out(`lab: client ${lab.ns.client} (cl0 192.0.2.10, 2001:db8:1::10), router ${lab.ns.router} (rt0 ${routerMac}), hosts ${lab.ns.hosts} (192.0.2.20, 2001:db8:1::20)`);
      out(`configuration (${configPath}):`);
      for (const l of CONFIG.trimEnd().split('\n')) out(`  ${l}`);

      const received = startListeners(lab);
      const { daemon, logs, stderr } = startDaemon(lab, configPath);
      // Each worker loads the modules again (~0.5 s per thread idle, seconds on a busy host).
      const started = await waitFor(() => logs.some((l) => l.event === 'started') || daemon.exitCode !== null, START_WAIT_MS);
      if (!started || daemon.exitCode !== null) {
        out(`neighproxy did not start:\n${[...stderr, ...logs.map((l) => l.msg)].join('\n')}`);
        return 1;
      }
      await waitFor(() => received.filter((l) => l.startsWith('listening')).length === 2, 3000);
      out(`neighproxy running in ${lab.ns.router} (pid ${daemon.pid}); the client's kernel now resolves ${TARGETS.join(' and ')}:`);

      lab.in(lab.ns.client, process.execPath, ['-e', `
        const dgram = require('dgram');
        for (const [type, addr] of [['udp4', '192.0.2.20'], ['udp6', '2001:db8:1::20']]) {
          const s = dgram.createSocket(type);
          s.send('hello from the client', 9999, addr, () => s.close());
        }`]);
      const neigh = (): Map<string, string> => {
        const m = new Map<string, string>();
        const list = JSON.parse(lab.in(lab.ns.client, 'ip', ['-j', 'neigh', 'show', 'dev', 'cl0']) || '[]') as { dst: string; lladdr?: string }[];
        for (const e of list) if (e.lladdr) m.set(e.dst, e.lladdr);
        return m;
      };
      const resolved = await waitFor(() => {
        const m = neigh();
        return TARGETS.every((t) => m.get(t) === routerMac);
      }, 3000);
      await waitFor(() => received.filter((l) => l.includes(' got ')).length >= 2, resolved ? 1000 : 0);

      printReport(out, lab, logs, received);
      daemon.kill('SIGTERM');
      await waitFor(() => daemon.exitCode !== null || daemon.signalCode !== null, 1500);
      out('');
      if (!resolved) {
        const m = neigh();
        out(`FAILED: the client's kernel did not resolve ${TARGETS.filter((t) => m.get(t) !== routerMac).join(', ')} to ${routerMac}`);
        return 1;
      }
      out(`ok: both addresses resolved to the router's MAC ${routerMac} (${Date.now() - t0} ms, lab removed)`);
      return 0;
    } finally {
      lab.destroy();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
