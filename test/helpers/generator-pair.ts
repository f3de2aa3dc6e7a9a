// A generator namespace and the daemon's namespace joined by one veth, as the load tests
// and benches use it: the generator's kernel stays out of ARP and ND (IPv6 off, `arp off`
// on both ends), so every request and answer on the wire is the test's or the daemon's,
// and both ends queue 10 000 frames (a paced burst never meets a full qdisc). The lab,
// its temporary directory and `cleanup` list are a TempLab's (test/helpers/temp-lab.ts).
import { tempLab, type TempLab } from './temp-lab';

export interface GeneratorPair extends TempLab {
  /** The generator's namespace (interface `genIf`), and the daemon's (interface `daemonIf`). */
  gen: string;
  rt: string;
  /** `/run/netns/...` of the generator's namespace, for Ring.open. */
  netns: string;
}

export interface GeneratorPairOptions {
  /** Namespace names (suffixes) and interface names; defaults gen/g0 and rt/c0. */
  gen?: string;
  genIf?: string;
  rt?: string;
  daemonIf?: string;
}

/** Builds the pair and registers its teardown with `t.after` (node:test, or a bench's own list). */
export function generatorPair(t: { after(fn: () => void): void }, tag: string, opts: GeneratorPairOptions = {}): GeneratorPair {
  const { lab, dir, cleanup } = tempLab(t, tag);
  const genIf = opts.genIf ?? 'g0';
  const daemonIf = opts.daemonIf ?? 'c0';
  const gen = lab.netns(opts.gen ?? 'gen');
  const rt = lab.netns(opts.rt ?? 'rt');
  lab.exec(gen, 'sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  lab.veth(gen, genIf, rt, daemonIf);
  for (const [ns, dev] of [[gen, genIf], [rt, daemonIf]] as const) {
    lab.exec(ns, 'ip', ['link', 'set', dev, 'arp', 'off']);
    lab.exec(ns, 'ip', ['link', 'set', dev, 'txqueuelen', '10000']);
  }
  return { lab, dir, gen, rt, netns: lab.nsPath(gen), cleanup };
}

/**
 * One frame for the generator's templates: `build` writes it at offset 0 of a scratch
 * buffer and returns its length; the copy is padded to the 60-byte Ethernet minimum (an
 * ARP request is 42).
 */
export function templateFrame(build: (b: Uint8Array) => number): Uint8Array {
  const b = new Uint8Array(128);
  return b.slice(0, Math.max(build(b), 60));
}
