// neighproxy as a responder: the daemon (`neighproxy run`) with a realistic
// configuration, inside its own namespace. Where the daemon is not built yet, its
// pipeline in one process (pipeline-responder.ts) stands in, or failing that the engine
// turnaround (turnaround.ts: ring + hand-built replies, no policy); the description
// says which in the table and the JSON.
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { T_ARP, T_NS, arpTargetIp, nsTargetIp } from './frames';
import { survives, type Responder } from './responders';
import type { ResponderWire, Testbed } from './testbed';
import type { ChildProcess } from 'node:child_process';

const ROOT = join(__dirname, '..', '..', '..');

/**
 * One rule per proxied address (an access router's subscriber list: 127 IPv4 + 1000
 * IPv6 = 1127 rules), answered with our own MAC like the kernel, ndppd and npd6 do;
 * learning on (cache timeout 300 s), as in parpd's example. `pace` (bench --pace): the
 * interface's `ring pace`; absent, no ring line (the daemon's default).
 */
export function neighproxyConfig(ifname: string, pace?: string): string {
  const lines = [
    '# neighproxy pps bench: one rule per subscriber address, learning on.',
    'cache',
    ' timeout    300',
    ' tablesize  65536',
    'end',
    `interface ${ifname}`,
  ];
  if (pace !== undefined) lines.push(` ring pace ${pace}`);
  for (let t = 0; t < T_ARP; t++) lines.push(` rule 0.0.0.0/0 ${arpTargetIp(t)} self`);
  for (let t = 0; t < T_NS; t++) lines.push(` rule ::/0 ${nsTargetIp(t)} self`);
  lines.push('end', '');
  return lines.join('\n');
}

export const NEIGHPROXY_RULES = T_ARP + T_NS;

export function daemonBuilt(): boolean {
  return existsSync(join(ROOT, 'dist', 'src', 'cli', 'commands', 'run.js'));
}

export async function setupNeighproxy(
  tb: Testbed,
  dir: string,
  names: string[],
  log: (s: string) => void,
  profileDir?: string,
  pace?: string,
): Promise<Responder[]> {
  const nodeFlags = profileDir ? ['--cpu-prof', '--cpu-prof-dir', resolve(profileDir)] : [];
  const w = tb.wire('np', { kernelArp: false });
  const conf = join(dir, 'neighproxy.conf');
  writeFileSync(conf, neighproxyConfig(w.ifname, pace));
  const logFile = join(dir, 'neighproxy.log');
  let description: string;
  let child: ChildProcess;
  if (daemonBuilt()) {
    child = tb.spawn(
      w.ns,
      process.execPath,
      [...nodeFlags, join(ROOT, 'bin', 'neighproxy'), 'run', '--config', conf, '--no-control', '--no-drop', '--log-level', 'warn'],
      logFile,
    );
    description = `neighproxy run (daemon), ${NEIGHPROXY_RULES} rules (one per target, action self), learning on, ring pace ${pace ?? 'default'}`;
  } else if (existsSync(join(ROOT, 'dist', 'src', 'pipeline', 'pipeline.js'))) {
    log('neighproxy daemon not built: measuring its batch loop in one process (ring + src/pipeline, bench/pps/pipeline-responder.ts)');
    child = tb.spawn(w.ns, process.execPath, [...nodeFlags, join(__dirname, 'pipeline-responder.js'), conf, w.ifname], logFile);
    description = `PIPELINE (daemon not built): ring + src/pipeline in one process, ${NEIGHPROXY_RULES} rules, learning on`;
  } else {
    const turnaround = join(__dirname, 'turnaround.js');
    if (!existsSync(turnaround) || !existsSync(join(ROOT, 'dist', 'src', 'engine', 'ring.js'))) {
      throw new Error('neither the daemon nor the ring engine is built');
    }
    log('neighproxy daemon not built: measuring the ENGINE TURNAROUND (ring + hand-built replies, no policy) instead');
    child = tb.spawn(w.ns, process.execPath, [...nodeFlags, turnaround, w.ifname], logFile);
    description = 'ENGINE TURNAROUND ONLY (daemon not built): ring + hand-built replies, no policy';
  }
  return pair(tb, w, child, 'neighproxy', description, logFile, names);
}

/**
 * The engine turnaround as responders of its own (`engine-arp`, `engine-ns`): measured
 * next to neighproxy in the same run, it separates the cost of the rings and the kernel
 * from the cost of parsing, policy and building.
 */
export async function setupEngineTurnaround(tb: Testbed, dir: string, names: string[], profileDir?: string): Promise<Responder[]> {
  const turnaround = join(__dirname, 'turnaround.js');
  if (!existsSync(join(ROOT, 'dist', 'src', 'engine', 'ring.js'))) throw new Error('the ring engine is not built');
  const nodeFlags = profileDir ? ['--cpu-prof', '--cpu-prof-dir', resolve(profileDir)] : [];
  const w = tb.wire('eng', { kernelArp: false });
  const logFile = join(dir, 'engine.log');
  const child = tb.spawn(w.ns, process.execPath, [...nodeFlags, turnaround, w.ifname], logFile);
  return pair(tb, w, child, 'engine', 'engine turnaround: ring + hand-built replies, no parsing or policy (ceiling)', logFile, names);
}

/**
 * neighproxy's pipeline in one process (`pipeline-arp`, `pipeline-ns`): the daemon's own
 * batch loop (src/pipeline: parse, policy, build, counters) without the metrics endpoint,
 * logging and link watching around it. Next to the daemon in the same run it shows what
 * those cost.
 */
export async function setupPipeline(tb: Testbed, dir: string, names: string[], profileDir?: string): Promise<Responder[]> {
  if (!existsSync(join(ROOT, 'dist', 'src', 'pipeline', 'pipeline.js'))) throw new Error('the pipeline is not built');
  const nodeFlags = profileDir ? ['--cpu-prof', '--cpu-prof-dir', resolve(profileDir)] : [];
  const w = tb.wire('pipe', { kernelArp: false });
  const conf = join(dir, 'pipeline.conf');
  writeFileSync(conf, neighproxyConfig(w.ifname));
  const logFile = join(dir, 'pipeline.log');
  const child = tb.spawn(w.ns, process.execPath, [...nodeFlags, join(__dirname, 'pipeline-responder.js'), conf, w.ifname], logFile);
  return pair(tb, w, child, 'pipeline', `neighproxy's pipeline in one process (no metrics, logging or timers), ${NEIGHPROXY_RULES} rules`, logFile, names);
}

async function pair(
  tb: Testbed,
  w: ResponderWire,
  child: ChildProcess,
  prefix: string,
  description: string,
  logFile: string,
  names: string[],
): Promise<Responder[]> {
  await survives(child, 500, prefix, logFile);
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopped ??= tb.stop(child));
  const all: Responder[] = [
    { name: `${prefix}-arp`, family: 'arp', cpuModel: 'process', wire: w, pid: () => child.pid, description, stop },
    { name: `${prefix}-ns`, family: 'ns', cpuModel: 'process', wire: w, pid: () => child.pid, description, stop },
  ];
  return all.filter((r) => names.includes(r.name));
}
