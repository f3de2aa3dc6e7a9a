// Start-up checks of the host around the configuration: things that do not stop the
// daemon from running but make it answer wrongly or in vain, and one that would make
// every later reload fail.
import { readFileSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ActionKind, type Config, type InterfaceConfig } from '../config/types';
import { Family } from '../net/addr';

export interface HostWarning {
  code: 'W_KERNEL_PROXY_ARP' | 'W_KERNEL_PROXY_NDP' | 'W_FORWARDING_OFF';
  interface: string;
  message: string;
}

/** Reads a sysctl by its /proc/sys path below net/ (`ipv4/conf/eth0/proxy_arp`); null when absent. */
export type SysctlReader = (path: string) => string | null;

export const procSysctl: SysctlReader = (path) => {
  try {
    return readFileSync(`/proc/sys/net/${path}`, 'utf8').trim();
  } catch {
    return null;
  }
};

const families = (c: InterfaceConfig): { v4: boolean; v6: boolean } => {
  const fams = [...c.rules.map((r) => r.target.family), ...c.statics.map((s) => s.address.family)];
  return { v4: fams.includes(Family.V4), v6: fams.includes(Family.V6) };
};

/** Answers with our own MAC bring the traffic here: the host must forward it. */
const bringsTrafficHere = (c: InterfaceConfig, family: Family): boolean =>
  c.rules.some((r) => r.target.family === family && (r.action.kind === ActionKind.Self || r.action.kind === ActionKind.Route));

/**
 * The kernel's own proxy_arp/proxy_ndp on a configured interface (then the kernel answers
 * too, with its MAC, and the requester takes whichever reply came last), and forwarding off
 * where `self`/`route` answers bring traffic to this host. The kernel honours `all` or
 * the interface's setting (either one on is on), so both are read.
 */
export function hostWarnings(config: Config, read: SysctlReader = procSysctl): HostWarning[] {
  const out: HostWarning[] = [];
  const on = (fam: 'ipv4' | 'ipv6', name: string, key: string): string | null => {
    if (read(`${fam}/conf/${name}/${key}`) === null) return null; // no such interface (yet): nothing to say
    for (const where of [name, 'all']) if ((read(`${fam}/conf/${where}/${key}`) ?? '0') !== '0') return where;
    return '';
  };
  for (const c of config.interfaces) {
    const f = families(c);
    if (f.v4) {
      const w = on('ipv4', c.name, 'proxy_arp');
      if (w) out.push({ code: 'W_KERNEL_PROXY_ARP', interface: c.name, message: `net.ipv4.conf.${w}.proxy_arp is 1: the kernel answers ARP on ${c.name} too, with its own MAC, and requesters keep whichever reply came last; set it to 0 (sysctl -w net.ipv4.conf.${w}.proxy_arp=0)` });
      if (bringsTrafficHere(c, Family.V4) && on('ipv4', c.name, 'forwarding') === '') {
        out.push({ code: 'W_FORWARDING_OFF', interface: c.name, message: `IPv4 forwarding is off on ${c.name}: 'self'/'route' answers bring traffic here and it is dropped (sysctl -w net.ipv4.conf.${c.name}.forwarding=1, or net.ipv4.ip_forward=1)` });
      }
    }
    if (f.v6) {
      const w = on('ipv6', c.name, 'proxy_ndp');
      if (w) out.push({ code: 'W_KERNEL_PROXY_NDP', interface: c.name, message: `net.ipv6.conf.${w}.proxy_ndp is 1: the kernel answers solicitations on ${c.name} too for its proxy entries (ip -6 neigh show proxy); set it to 0 or remove those entries` });
      if (bringsTrafficHere(c, Family.V6) && on('ipv6', c.name, 'forwarding') === '') {
        out.push({ code: 'W_FORWARDING_OFF', interface: c.name, message: `IPv6 forwarding is off on ${c.name}: 'self'/'route' answers bring traffic here and it is dropped (sysctl -w net.ipv6.conf.all.forwarding=1)` });
      }
    }
  }
  return out;
}

/** Mode-bit access for uid/gid (supplementary groups: just gid, as dropPrivileges sets them). */
function allows(st: Pick<Stats, 'uid' | 'gid' | 'mode'>, uid: number, gid: number, bit: number): boolean {
  if (uid === 0) return true;
  if (st.uid === uid) return (st.mode & (bit << 6)) !== 0;
  if (st.gid === gid) return (st.mode & (bit << 3)) !== 0;
  return (st.mode & bit) !== 0;
}

/**
 * Null when `uid`/`gid` can read `path` (every directory searchable, the file readable, by
 * mode bits; ACLs are not read); otherwise why not, in a sentence. After the drop to
 * --user the daemon rereads the file on every SIGHUP: unreadable, each reload fails EACCES.
 */
export function unreadableAfterDrop(path: string, user: string, uid: number, gid: number,
  stat: (p: string) => Pick<Stats, 'uid' | 'gid' | 'mode'> = statSync): string | null {
  const file = resolve(path);
  const dirs: string[] = [];
  for (let d = dirname(file); ; d = dirname(d)) {
    dirs.unshift(d);
    if (d === dirname(d)) break;
  }
  const mode = (st: Pick<Stats, 'mode'>): string => (st.mode & 0o7777).toString(8).padStart(4, '0');
  for (const d of dirs) {
    const st = stat(d);
    if (!allows(st, uid, gid, 1)) return `directory ${d} (owner uid ${st.uid}, gid ${st.gid}, mode ${mode(st)}) is not searchable by ${user}`;
  }
  const st = stat(file);
  if (!allows(st, uid, gid, 4)) return `${file} (owner uid ${st.uid}, gid ${st.gid}, mode ${mode(st)}) is not readable by ${user}`;
  return null;
}
