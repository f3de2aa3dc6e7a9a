// Dropping root. Node has no prctl(), so capabilities cannot survive setuid() here:
// the daemon opens every ring (and binds its sockets) as root, then switches to an
// unprivileged user and keeps working on the already open rings. A ring for an
// interface that appears later needs CAP_NET_RAW, which the dropped process no longer
// has: that is logged with what to do. Under systemd the unit runs as an unprivileged
// user with AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN instead, so nothing is
// dropped and new interfaces are opened at any time. See docs/daemon.md.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

export interface Identity {
  uid: number;
  gid: number;
  groups: number[];
  /** Effective capability mask from /proc/self/status, as hex text. */
  capEff: string;
}

export const CAP_NET_ADMIN = 12;
export const CAP_NET_RAW = 13;

export function readStatusField(status: string, field: string): string | undefined {
  const m = new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(status);
  return m ? m[1]!.trim() : undefined;
}

/** Effective capabilities of this process as a bigint mask. */
export function effectiveCaps(statusText = readFileSync('/proc/self/status', 'utf8')): bigint {
  return BigInt(`0x${readStatusField(statusText, 'CapEff') ?? '0'}`);
}

export function hasCap(cap: number, statusText?: string): boolean {
  return (effectiveCaps(statusText) & (1n << BigInt(cap))) !== 0n;
}

export function identity(): Identity {
  const status = readFileSync('/proc/self/status', 'utf8');
  return {
    uid: process.getuid!(),
    gid: process.getgid!(),
    groups: process.getgroups!(),
    capEff: readStatusField(status, 'CapEff') ?? '?',
  };
}

/** Resolves a user's uid and primary gid without a native call (getent, then /etc/passwd). */
export function lookupUser(user: string): { uid: number; gid: number } {
  if (/^\d+$/.test(user)) return { uid: Number(user), gid: Number(user) };
  let line = '';
  try {
    line = execFileSync('getent', ['passwd', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${user}:`)) ?? '';
  }
  const f = line.split(':');
  if (f.length < 4) throw Object.assign(new Error(`unknown user '${user}'`), { code: 'E_NO_USER' });
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

export function lookupGroup(group: string): number {
  if (/^\d+$/.test(group)) return Number(group);
  let line = '';
  try {
    line = execFileSync('getent', ['group', group], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    line = readFileSync('/etc/group', 'utf8').split('\n').find((l) => l.startsWith(`${group}:`)) ?? '';
  }
  const f = line.split(':');
  if (f.length < 3) throw Object.assign(new Error(`unknown group '${group}'`), { code: 'E_NO_GROUP' });
  return Number(f[2]);
}

/**
 * Switches to `user` (and `group`, default the user's primary group): supplementary
 * groups first, then gid, then uid, so no step is left with root's groups. Throws with
 * .code on failure; the caller must then exit, never run on as root by accident.
 */
export function dropPrivileges(user: string, group: string | null): Identity {
  const u = lookupUser(user);
  const gid = group === null ? u.gid : lookupGroup(group);
  process.setgroups!([gid]);
  process.setgid!(gid);
  process.setuid!(u.uid);
  const id = identity();
  if (id.uid !== u.uid || id.gid !== gid) {
    throw Object.assign(new Error(`privilege drop to ${user} did not take effect (uid ${id.uid}, gid ${id.gid})`), { code: 'EPERM' });
  }
  return id;
}
