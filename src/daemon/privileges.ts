// Dropping root while keeping CAP_NET_RAW and CAP_NET_ADMIN. The daemon opens its rings
// (and binds its sockets) as root, then switches to an unprivileged user through the
// addon's drop_privileges (native/caps.cc): Node alone cannot keep capabilities across
// setuid (no prctl, no capset). The uid/gid change applies to every thread; the kept
// capabilities to the main JS thread, which is where Ring.open runs, so rings for
// interfaces that appear or are recreated later still open. Under systemd the unit runs
// as an unprivileged user with AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN instead, so
// nothing is dropped. See docs/daemon.md.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { binding, type NativeBinding } from '../engine/binding';

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

/** Capabilities a dropped daemon keeps: raw sockets, and promisc/allmulti memberships. */
export const KEPT_CAPS: readonly number[] = [CAP_NET_RAW, CAP_NET_ADMIN];

/**
 * Switches uid, gid and supplementary groups (every thread) and keeps exactly `keep`
 * (those of them this process has now) as permitted and effective capabilities of the
 * calling thread. Validates here, asserts in C++. Throws with .code (errno name); after a
 * throw the process may be half switched: the caller must exit.
 */
export function dropKeepingCaps(uid: number, gid: number, groups: readonly number[], keep: readonly number[],
  native: Pick<NativeBinding, 'drop_privileges'> = binding()): void {
  const id = (v: number, what: string) => {
    if (!Number.isInteger(v) || v < 0 || v > 0xfffffffe) {
      throw new RangeError(`Expected integer between 0 and 4294967294 for ${what} but received ${String(v)} of type ${typeof v}`);
    }
  };
  id(uid, 'uid');
  id(gid, 'gid');
  groups.forEach((g) => id(g, 'group'));
  let mask = 0;
  const have = effectiveCaps();
  for (const c of keep) {
    if (!Number.isInteger(c) || c < 0 || c > 31) throw new RangeError(`Expected integer between 0 and 31 for capability but received ${String(c)}`);
    if (have & (1n << BigInt(c))) mask |= 1 << c;
  }
  native.drop_privileges(uid, gid, [...groups], mask >>> 0);
}

/**
 * Switches to `user` (and `group`, default the user's primary group), keeping `keep`
 * (default CAP_NET_RAW and CAP_NET_ADMIN) on the main thread. Supplementary groups are
 * just the gid. Verified afterwards; throws with .code on failure: the caller must then
 * exit, never run on as root by accident.
 */
export function dropPrivileges(user: string, group: string | null, keep: readonly number[] = KEPT_CAPS): Identity {
  const u = lookupUser(user);
  const gid = group === null ? u.gid : lookupGroup(group);
  dropKeepingCaps(u.uid, gid, [gid], keep);
  const id = identity();
  if (id.uid !== u.uid || id.gid !== gid) {
    throw Object.assign(new Error(`privilege drop to ${user} did not take effect (uid ${id.uid}, gid ${id.gid})`), { code: 'EPERM' });
  }
  return id;
}
