// Exit statuses of `neighproxy run`, distinct so a service manager can tell a failure that
// a restart may cure from one that only an operator can (systemd: RestartPreventExitStatus=).
// 77 and 78 are sysexits.h's EX_NOPERM and EX_CONFIG, which service managers and scripts know.

/** Stopped on SIGTERM/SIGINT. */
export const EXIT_OK = 0;
/** Failure at run time, or at start for a reason that may pass (control socket or metrics port in use). */
export const EXIT_RUNTIME = 1;
/** Wrong command line. */
export const EXIT_USAGE = 2;
/** Missing privilege: cannot open a capture ring (CAP_NET_RAW), cannot switch user. Restarting cannot help. */
export const EXIT_NOPERM = 77;
/** The configuration is invalid, unreadable, or will be unreadable after the privilege drop. */
export const EXIT_CONFIG = 78;

/** For --help and the README. */
export const EXIT_CODES_TEXT = `exit status:
  0   stopped by SIGTERM or SIGINT
  1   runtime failure (also at start: control socket or metrics port in use)
  2   usage error (unknown option, bad value)
  77  missing privilege: no CAP_NET_RAW for a ring, or the user switch failed
  78  configuration error: invalid, unreadable, or unreadable after the drop to --user
The systemd unit lists 2, 77 and 78 in RestartPreventExitStatus=: restarting cannot fix them.`;

/** The exit status for an error thrown by Daemon.start(). */
export function startFailureExit(err: { code?: unknown }): number {
  const code = typeof err.code === 'string' ? err.code : '';
  if (code.startsWith('E_CONFIG') || code === 'E_CONFIG_UNREADABLE_AFTER_DROP') return EXIT_CONFIG;
  if (code === 'EPERM' || code === 'EACCES' || code === 'E_NO_USER' || code === 'E_NO_GROUP') return EXIT_NOPERM;
  return EXIT_RUNTIME;
}
