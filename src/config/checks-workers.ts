// What `workers N` (N > 1) cannot yet do together with other settings (issue 14): refused
// by `check` and `run` at the setting's position, naming both settings and why.
import type { Reporter } from './report';
import { ActionKind, type Config } from './types';

export function workerChecks(r: Reporter, config: Config): void {
  const w = config.workers;
  if (w === undefined || w === 1) return;
  const workers = `'workers ${w}'`;
  for (const ifc of config.interfaces) {
    for (const x of ifc.rules) {
      if (x.action.kind !== ActionKind.Probe || !x.action.probe.autowire) continue;
      // Every worker is a Daemon with its own Autowire: each flushes the proto-78 routes at
      // start (removing the other workers' fresh ones) and removes its own at stop.
      r.failAt('E_CONFIG_VALUE', x.pos, `'probe ${x.action.probe.iface} autowire' with ${workers}`,
        `'probe ... autowire' only with 'workers 1' (not supported yet with ${workers}: each worker installs and flushes its own host routes, so one worker's start or stop removes the routes of the others)`);
    }
  }
}
