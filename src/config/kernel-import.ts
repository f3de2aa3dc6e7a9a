// Translation of the kernel's own proxying into neighproxy's language: the proxy table
// (`ip -j neigh show proxy`), the sysctls that switch it on (`sysctl -a` lines) and
// systemd-networkd's .network files that set both.
//
// What the kernel does (net/ipv4/arp.c arp_process, net/ipv6/ndisc.c ndisc_recv_ns):
//  - IPv4, only with forwarding on the receiving interface: proxy_arp (the interface's
//    or `all`) answers for any unicast target routed out of *another* interface, and a
//    proxy entry (`ip neigh add proxy ADDR dev IF`) for ADDR under the same route
//    condition: both are `route` here. Probes (sender 0.0.0.0) are never proxied.
//  - IPv6, only with forwarding on and proxy_ndp (the interface's or `all`): a proxy
//    entry answers for exactly that address, with the R flag, O clear, and DAD
//    solicitations defended: `self` with `router yes`, `dad defend`.
//  - Both delay answers to multicast/broadcast requests by up to proxy_delay; neighproxy
//    answers at once.
// A rule the kernel would not apply (switch or forwarding off) is written commented out.
import { Family, formatPrefix, parsePrefix } from '../net/addr';
import { ConfigError } from './errors';

interface IfState {
  proxyArp?: boolean;
  proxyNdp?: boolean;
  fwd4?: boolean;
  fwd6?: boolean;
  pvlan?: boolean;
  delay?: number;
  v4: string[];
  v6: string[];
}

export interface KernelInputs {
  /** `ip -j neigh show proxy` output (JSON), and where it came from. */
  neigh?: { text: string; file: string };
  /** `sysctl` lines (`net.ipv4.conf.eth0.proxy_arp = 1`). */
  sysctl?: { text: string; file: string };
  /** systemd-networkd .network files. */
  networkd?: { text: string; file: string }[];
}

class State {
  readonly ifaces = new Map<string, IfState>();
  readonly all: { proxyArp?: boolean; proxyNdp?: boolean } = {};
  readonly notes: string[] = [];
  sysctlKnown = false;

  get(name: string): IfState {
    let s = this.ifaces.get(name);
    if (!s) this.ifaces.set(name, (s = { v4: [], v6: [] }));
    return s;
  }

  address(name: string, dst: string, where: string): void {
    const p = parsePrefix(dst);
    if (typeof p === 'string') return void this.notes.push(`${where}: ${p}; skipped`);
    const list = p.family === Family.V4 ? this.get(name).v4 : this.get(name).v6;
    const text = formatPrefix(p);
    if (!list.includes(text)) list.push(text);
  }
}

function readNeigh(st: State, text: string, file: string): void {
  let rows: unknown;
  try {
    rows = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('E_CONFIG_SYNTAX', file, 1, 1, `${file}:1:1: not the JSON of 'ip -j neigh show proxy': ${(err as Error).message}`);
  }
  if (!Array.isArray(rows)) throw new ConfigError('E_CONFIG_SYNTAX', file, 1, 1, `${file}:1:1: found ${typeof rows}, expected the JSON array of 'ip -j neigh show proxy'`);
  rows.forEach((r: { dst?: unknown; dev?: unknown }, i) => {
    if (typeof r?.dst !== 'string' || typeof r.dev !== 'string') return void st.notes.push(`${file}: entry ${i + 1} has no dst and dev; skipped`);
    st.address(r.dev, r.dst, `${file}: entry ${i + 1}`);
  });
}

const SYSCTL_RE = /^\s*net\.ipv([46])\.(conf|neigh)\.([^.\s=]+)\.(proxy_arp|proxy_ndp|forwarding|proxy_arp_pvlan|proxy_delay)\s*=\s*(\d+)\s*$/;

function readSysctl(st: State, text: string): void {
  st.sysctlKnown = true;
  for (const line of text.split('\n')) {
    const m = SYSCTL_RE.exec(line);
    if (!m) continue;
    const [, fam, kind, rawName, key, val] = m as unknown as [string, string, string, string, string, string];
    const name = rawName.replace(/\//g, '.'); // sysctl writes eth0.100 as eth0/100
    const on = val !== '0';
    if (name === 'default') continue;
    if (name === 'all') {
      if (key === 'proxy_arp' && fam === '4') st.all.proxyArp = on;
      if (key === 'proxy_ndp' && fam === '6') st.all.proxyNdp = on;
      continue;
    }
    if (name === 'lo') continue;
    const s = st.get(name);
    if (kind === 'neigh') s.delay = Math.max(s.delay ?? 0, Number(val));
    else if (key === 'proxy_arp') s.proxyArp = on;
    else if (key === 'proxy_ndp') s.proxyNdp = on;
    else if (key === 'proxy_arp_pvlan') s.pvlan = on;
    else if (fam === '4') s.fwd4 = on;
    else s.fwd6 = on;
  }
}

const yes = (v: string): boolean | undefined => (/^(1|yes|true|on)$/i.test(v) ? true : /^(0|no|false|off)$/i.test(v) ? false : undefined);

function readNetworkd(st: State, text: string, file: string): void {
  let section = '';
  let names: string[] = [];
  const set: { arp?: boolean; ndp?: boolean; fwd4?: boolean; fwd6?: boolean; addrs: string[] } = { addrs: [] };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[(\w+)\]$/.exec(line);
    if (sec) {
      section = sec[1]!;
      continue;
    }
    const kv = /^(\w+)\s*=\s*(.*)$/.exec(line);
    if (!kv) continue;
    const [, key, value] = kv as unknown as [string, string, string];
    if (section === 'Match' && key === 'Name') names = value.split(/\s+/).filter(Boolean);
    if (section !== 'Network') continue;
    if (key === 'IPv4ProxyARP') set.arp = yes(value);
    else if (key === 'IPv6ProxyNDP') set.ndp = yes(value);
    else if (key === 'IPv6ProxyNDPAddress') value === '' ? (set.addrs = []) : set.addrs.push(value);
    else if (key === 'IPForward') {
      const v = value.toLowerCase();
      set.fwd4 = ['yes', 'true', '1', 'ipv4'].includes(v);
      set.fwd6 = ['yes', 'true', '1', 'ipv6'].includes(v);
    } else if (key === 'IPv4Forwarding') set.fwd4 = yes(value);
    else if (key === 'IPv6Forwarding') set.fwd6 = yes(value);
  }
  if (names.length !== 1 || /[*?[\]!]/.test(names[0]!)) {
    throw new ConfigError('E_CONFIG_VALUE', file, 1, 1, `${file}:1:1: [Match] Name= must name one interface (found '${names.join(' ')}'); neighproxy needs its name`);
  }
  const s = st.get(names[0]!);
  if (set.arp !== undefined) s.proxyArp = set.arp;
  // networkd: IPv6ProxyNDPAddress= implies IPv6ProxyNDP=yes unless that is set to no.
  if (set.ndp === false && set.addrs.length) st.notes.push(`${file}: IPv6ProxyNDP=no, so networkd ignores IPv6ProxyNDPAddress=; so does this import`);
  const ndp = set.ndp ?? (set.addrs.length ? true : undefined);
  if (ndp !== undefined) s.proxyNdp = ndp;
  if (set.fwd4 !== undefined) s.fwd4 = set.fwd4;
  if (set.fwd6 !== undefined) s.fwd6 = set.fwd6;
  if (ndp !== false) for (const a of set.addrs) st.address(names[0]!, a, file);
}

function interfaceBlock(st: State, name: string, s: IfState): string[] {
  const arp = s.proxyArp || st.all.proxyArp;
  const ndp = s.proxyNdp || st.all.proxyNdp;
  const off4 = s.fwd4 === false ? `forwarding is off on ${name}` : undefined;
  const off6 = s.fwd6 === false ? `forwarding is off on ${name}` : ndp === false || (st.sysctlKnown && !ndp) ? `proxy_ndp is off on ${name} and all` : undefined;
  const body: string[] = [];
  let active = 0;
  const rule = (comment: string, text: string, off: string | undefined): void => {
    body.push(comment, off ? ` # ${text.trim()}    (the kernel does not answer: ${off})` : text);
    if (!off) active++;
  };
  if (arp) {
    rule(` # proxy_arp${s.proxyArp ? '' : ' (all)'}: any target the kernel routes out of another interface`, ' rule 0.0.0.0/0 0.0.0.0/0 route', off4);
    if (s.v4.length) body.push(` # proxy entries ${s.v4.join(', ')}: covered by proxy_arp`);
  } else {
    for (const a of s.v4) rule(` # proxy entry ${a.replace(/\/32$/, '')} dev ${name}`, ` rule 0.0.0.0/0 ${a} route`, off4);
  }
  for (const a of s.v6) rule(` # proxy entry ${a.replace(/\/128$/, '')} dev ${name}`, ` rule ::/0 ${a} self`, off6);
  if (s.pvlan) st.notes.push(`${name}: proxy_arp_pvlan (answering for targets on the same interface) has no exact equivalent; add 'rule SOURCE TARGET self' for that subnet`);
  // The kernel's proxied advertisements carry R (forwarding is on) and defend DAD.
  const nd = s.v6.length && !off6 ? [' router     yes', ' dad        defend'] : [];
  const block = [`interface ${name}`, ...nd, ...body, 'end'];
  if (active) return ['', ...block];
  // Nothing the kernel answers: the block as comments, its rules ready to be enabled.
  const rules = body.filter((l) => l.startsWith(' # rule ')).map((l) => `#  ${l.slice(3)}`);
  return ['', `# interface ${name}: the kernel answers nothing here; to answer what it was set up for:`, `#  interface ${name}`, ...rules, '#  end'];
}

/** Translates the kernel's proxy settings; throws a ConfigError when there is nothing to import. */
export function importKernel(inputs: KernelInputs): { text: string; notes: string[] } {
  const st = new State();
  if (inputs.sysctl) readSysctl(st, inputs.sysctl.text);
  if (inputs.neigh) readNeigh(st, inputs.neigh.text, inputs.neigh.file);
  for (const n of inputs.networkd ?? []) readNetworkd(st, n.text, n.file);
  const used = [...st.ifaces].filter(([, s]) => s.proxyArp || (st.all.proxyArp && s.fwd4) || s.v4.length || s.v6.length).sort(([a], [b]) => a.localeCompare(b));
  const sources = [inputs.neigh?.file, inputs.sysctl?.file, ...(inputs.networkd ?? []).map((n) => n.file)].filter(Boolean).join(', ');
  if (used.length === 0) {
    throw new ConfigError('E_CONFIG_VALUE', sources, 1, 1, `${sources}: nothing to import: no interface has proxy_arp on or a proxy entry`);
  }
  if (!st.sysctlKnown && !inputs.networkd?.length) {
    st.notes.push('no sysctls given (--sysctl or --live): forwarding and proxy_ndp are assumed on; the kernel answers only when they are');
  }
  const blocks = used.flatMap(([name, s]) => interfaceBlock(st, name, s));
  const delayed = used.filter(([, s]) => (s.delay ?? 0) > 0).map(([n, s]) => `${n} ${s.delay! / 100} s`);
  if (delayed.length) st.notes.push(`the kernel delayed multicast/broadcast answers by a random time up to proxy_delay (${delayed.join(', ')}); neighproxy answers at once`);
  const head = [`# Imported from ${sources} by 'neighproxy import-kernel'.`, ...st.notes.map((n) => `# note: ${n}`)];
  return { text: [...head, ...blocks].join('\n') + '\n', notes: st.notes };
}
