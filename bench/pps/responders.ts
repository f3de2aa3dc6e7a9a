// The responders under test. Each lives in its own namespace of the testbed:
//   kernel-arp / kernel-ns   proxy_arp (routes) and proxy_ndp (`ip -6 neigh add proxy`
//                            for every target), proxy_delay 0 so answers are immediate
//   ndppd / npd6             the Debian packages, `static` / prefix answers, run with
//                            `ip netns exec` inside the responder namespace only
//   neighproxy-arp / -ns     neighproxy (responder-neighproxy.ts)
import { execFileSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { T_ARP, T_NS, arpTargetIp, nsTargetIp, type Family } from './frames';
import type { ResponderWire, Testbed } from './testbed';

export interface Responder {
  /** Name in tables, JSON and --responders. */
  readonly name: string;
  readonly family: Family;
  /** 'kernel': CPU is charged as softirq time; 'process': utime + stime of `pid`. */
  readonly cpuModel: 'kernel' | 'process';
  readonly wire: ResponderWire;
  /** Responder process id (for /proc accounting), undefined for the kernel. */
  pid(): number | undefined;
  /** One line: what runs and how it is configured. */
  readonly description: string;
  stop(): Promise<void>;
}

/** Measured by default, in this (interleaving) order. */
export const ALL_RESPONDERS = ['neighproxy-arp', 'kernel-arp', 'neighproxy-ns', 'kernel-ns', 'ndppd', 'npd6'] as const;
/**
 * Measured when named: the engine turnaround (ring + hand-built replies, neighproxy's
 * ceiling) and neighproxy's pipeline in one process (the daemon without its metrics,
 * logging and timers).
 */
export const EXTRA_RESPONDERS = ['engine-arp', 'engine-ns', 'pipeline-arp', 'pipeline-ns'] as const;
export type ResponderName = (typeof ALL_RESPONDERS)[number];

/** Waits until `child` has survived `ms` without exiting; throws with its log otherwise. */
export async function survives(child: ChildProcess, ms: number, what: string, log: string): Promise<void> {
  const exited = await new Promise<boolean>((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
  if (exited) {
    let text = '';
    try {
      text = execFileSync('tail', ['-n', '5', log], { encoding: 'utf8' });
    } catch {
      /* no log */
    }
    throw new Error(`${what} exited at start (${child.exitCode ?? child.signalCode}): ${text.trim()}`);
  }
}

/** The kernel's proxy ARP and proxy NDP in one namespace: two responders, one per family. */
export function setupKernel(tb: Testbed): Responder[] {
  const w = tb.wire('kern');
  const x = (args: string[], input?: string): string => tb.exec(w.ns, args[0]!, args.slice(1), { input });
  x([
    'sysctl', '-qw',
    'net.ipv4.ip_forward=1',
    'net.ipv4.conf.all.rp_filter=0',
    'net.ipv4.conf.c0.rp_filter=0',
    'net.ipv4.conf.c0.proxy_arp=1',
    'net.ipv4.neigh.c0.proxy_delay=0',
    'net.ipv6.conf.all.forwarding=1',
    'net.ipv6.conf.all.proxy_ndp=1',
    'net.ipv6.conf.c0.proxy_ndp=1',
    'net.ipv6.neigh.c0.proxy_delay=0',
  ]);
  // proxy_arp answers for addresses routed out of another interface.
  x(['ip', 'route', 'add', `${arpTargetIp(0).replace(/\.\d+$/, '.128')}/25`, 'dev', w.downIf]);
  x(['ip', '-6', 'route', 'add', '2001:db8:2::/64', 'dev', w.downIf]);
  // proxy_ndp answers only for listed addresses: one entry per target (it also joins the
  // target's solicited-node group, so multicast solicitations reach it).
  const lines: string[] = [];
  for (let t = 0; t < T_NS; t++) lines.push(`neigh add proxy ${nsTargetIp(t)} dev ${w.ifname}`);
  x(["ip", "-6", "-batch", "-"], lines.join('\n') + '\n');
  const base = {
    cpuModel: 'kernel' as const,
    wire: w,
    pid: (): undefined => undefined,
    stop: async (): Promise<void> => {},
  };
  return [
    {
      ...base,
      name: 'kernel-arp',
      family: 'arp',
      description: `kernel proxy_arp=1, proxy_delay=0, ip_forward=1, route ${T_ARP} targets (/25) via d0`,
    },
    {
      ...base,
      name: 'kernel-ns',
      family: 'ns',
      description: `kernel proxy_ndp=1, proxy_delay=0, forwarding=1, ${T_NS} 'ip -6 neigh add proxy' entries`,
    },
  ];
}

export function ndppdConfig(ifname: string): string {
  return [
    '# ndppd.conf(5): answer every solicitation for the prefix at once (static),',
    '# as the other responders do; no forwarding of solicitations downstream.',
    `proxy ${ifname} {`,
    '  router no',
    '  ttl 30000',
    '  rule 2001:db8:2::/64 {',
    '    static',
    '  }',
    '}',
    '',
  ].join('\n');
}

export function npd6Config(ifname: string): string {
  return [
    '// npd6.conf(5): answer every solicitation for the prefix.',
    'prefix=2001:db8:2:0:',
    `interface=${ifname}`,
    'listtype=none',
    'collectTargets=0',
    'routerNA=false',
    '',
  ].join('\n');
}

function which(cmd: string): string | undefined {
  for (const dir of ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/sbin', '/usr/local/bin']) {
    try {
      execFileSync('test', ['-x', join(dir, cmd)]);
      return join(dir, cmd);
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** Installs the Debian packages of missing third-party responders. */
export function installThirdParty(names: string[], log: (s: string) => void): void {
  const missing = names.filter((n) => !which(n));
  if (missing.length === 0) return;
  log(`installing ${missing.join(', ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
  // policy-rc.d or not, the packages' init scripts must not start a daemon in the host namespace.
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'ignore', env });
  for (const n of missing) {
    try {
      execFileSync('systemctl', ['stop', n], { stdio: 'ignore' });
    } catch {
      /* no systemd */
    }
    try {
      execFileSync(`/etc/init.d/${n}`, ['stop'], { stdio: 'ignore' });
    } catch {
      /* not running */
    }
  }
}

export function thirdPartyMissing(name: 'ndppd' | 'npd6'): string | undefined {
  return which(name) ? undefined : `${name} is not installed (apt-get install ${name}, or run the bench with --install)`;
}

async function processResponder(
  tb: Testbed,
  key: string,
  name: string,
  cmd: string,
  args: (dir: string, w: ResponderWire) => string[],
  config: (w: ResponderWire) => string,
  configFile: string,
  dir: string,
  description: string,
): Promise<Responder> {
  const w = tb.wire(key, { kernelArp: false });
  tb.exec(w.ns, 'sysctl', ['-qw', 'net.ipv6.conf.all.forwarding=1']);
  writeFileSync(join(dir, configFile), config(w));
  const log = join(dir, `${name}.log`);
  const child = tb.spawn(w.ns, cmd, args(dir, w), log);
  await survives(child, 300, name, log);
  return {
    name,
    family: 'ns',
    cpuModel: 'process',
    wire: w,
    pid: () => child.pid,
    description,
    stop: () => tb.stop(child),
  };
}

export function setupNdppd(tb: Testbed, dir: string): Promise<Responder> {
  return processResponder(
    tb, 'ndppd', 'ndppd', 'ndppd',
    (d) => ['-c', join(d, 'ndppd.conf'), '-p', join(d, 'ndppd.pid')],
    (w) => ndppdConfig(w.ifname), 'ndppd.conf', dir,
    'ndppd (Debian package), rule 2001:db8:2::/64 static, foreground',
  );
}

export function setupNpd6(tb: Testbed, dir: string): Promise<Responder> {
  return processResponder(
    tb, 'npd6', 'npd6', 'npd6',
    (d) => ['-f', '-c', join(d, 'npd6.conf'), '-l', join(d, 'npd6.out')],
    (w) => npd6Config(w.ifname), 'npd6.conf', dir,
    'npd6 (Debian package), prefix 2001:db8:2:0: /64, foreground',
  );
}
