// The worker thread behind prepared reloads (prepared.ts): reads and checks the file and
// compiles every interface's filter away from the thread that answers, then posts the
// result back. Only plain data crosses (the configuration model, BPF instructions, the
// warnings' text); a failure comes back as its message and code.
import { parentPort } from 'node:worker_threads';
import { compileFilter } from '../bpf/compile';
import { PLAIN_FILTER_NAME } from '../bpf/plain';
import { loadConfig } from '../config';
import type { StaticEntry } from '../config/types';

export interface PrepareRequest {
  id: number;
  path: string;
  /** Statics added with `ctl add`, by interface name: the filters must let their requests in. */
  runtimeStatics: Record<string, StaticEntry[]>;
}

parentPort?.on('message', (req: PrepareRequest) => {
  try {
    const { config, warnings } = loadConfig(req.path);
    const filterLog: string[] = [];
    const log = { warn: (_o: unknown, msg: string) => { filterLog.push(msg); } };
    const filters = config.interfaces.map((c) => {
      const extra = req.runtimeStatics[c.name];
      const iface = extra && extra.length > 0 ? { ...c, statics: [...c.statics, ...extra] } : c;
      const f = compileFilter(iface, config.cache, { log: log as never });
      return { program: f.program, text: f.fallback ? `${PLAIN_FILTER_NAME} (${f.reason})` : `${f.program.length} instructions` };
    });
    parentPort!.postMessage({ id: req.id, ok: true, config, warnings: warnings.map((w) => ({ message: w.message })), filters, filterLog });
  } catch (err) {
    const e = err as Error & { code?: string };
    parentPort!.postMessage({ id: req.id, ok: false, message: e.message, code: e.code });
  }
});
