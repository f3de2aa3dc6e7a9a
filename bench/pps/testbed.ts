// The namespace testbed: one generator namespace, one namespace per responder, one
// downstream namespace. Each responder namespace has a client-facing veth `c0` (its
// peer `g-KEY` sits in the generator namespace) and a downstream veth `d0` (peer
// `d-KEY` in the downstream namespace), so every responder runs alone on its own
// wire and needs no switching on and off between slots. Only documentation
// addresses are configured; the generator namespace has no addresses at all (IPv6
// disabled), so nothing it does can leave it except the frames we write.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { Lab, sh } from '../../test/helpers/netns';
import { RESPONDER_IP4, RESPONDER_IP6, S_ARP, S_NS, arpSenderIp, nsSenderIp, senderMac } from './frames';

function macText(mac: number): string {
  return mac.toString(16).padStart(12, '0').replace(/(..)(?!$)/g, '$1:');
}

export interface ResponderWire {
  /** Namespace of the responder (name, for `ip netns exec`). */
  ns: string;
  /** Generator-side interface (in the generator namespace). */
  genIf: string;
  /** Responder's client-facing interface. */
  ifname: 'c0';
  /** Responder's downstream interface. */
  downIf: 'd0';
}

/**
 * CPU placement on a small machine: the generator side (bench process, generator
 * thread, capture, receive processing of replies) on `gen`, the responder side
 * (responder process, receive processing of requests, the kernel responder's softirq)
 * on `responder`, as two machines with a NIC each would have it. Receive processing is
 * steered with RPS (rps_cpus): veth would otherwise run it inside the sender's
 * send call, charging the receiver's work to the sender.
 */
export interface Placement {
  gen: number;
  responder: number;
}

export class Testbed {
  readonly lab = new Lab('pps');
  readonly gen: string;
  readonly down: string;
  private readonly procs: ChildProcess[] = [];
  private destroyed = false;

  constructor(
    readonly placement: Placement | null = null,
    /** Run responder processes under SCHED_FIFO (chrt -f 10): separates scheduling delay from processing. */
    readonly realtime = false,
  ) {
    try {
      this.gen = this.lab.netns('gen');
      this.down = this.lab.netns('down');
      this.lab.exec(this.gen, 'sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    } catch (err) {
      this.lab.destroy();
      throw err;
    }
  }

  /**
   * A responder namespace wired to the generator and the downstream namespace. With
   * `kernelArp` false (responders that are not the kernel), c0 has ARP off: the
   * namespace's own kernel then drops requests at once instead of routing and
   * neighbour-updating each one, work veth would charge to the generator's send call
   * (a third of it, by perf), capping the rates it can offer. Packet sockets see the
   * frames before that drop.
   */
  wire(key: string, opts: { kernelArp?: boolean } = {}): ResponderWire {
    if (key.length > 8) throw new RangeError(`responder key too long for an interface name: ${key}`);
    const ns = this.lab.netns(key);
    const genIf = `g-${key}`;
    this.lab.veth(this.gen, genIf, ns, 'c0');
    this.lab.veth(ns, 'd0', this.down, `d-${key}`);
    this.lab.exec(ns, 'ip', ['addr', 'add', `${RESPONDER_IP4}/24`, 'dev', 'c0']);
    this.lab.exec(ns, 'ip', ['-6', 'addr', 'add', `${RESPONDER_IP6}/64`, 'dev', 'c0', 'nodad']);
    // Deep enough queues that the wire itself does not drop at a million frames/s.
    this.lab.exec(this.gen, 'ip', ['link', 'set', genIf, 'txqueuelen', '10000']);
    // veth delivers a reply synchronously inside the responder's send, so whatever the
    // generator's kernel does with it is charged to the responder: with ARP off the
    // generator namespace drops replies at once instead of running arp_rcv on each.
    this.lab.exec(this.gen, 'ip', ['link', 'set', genIf, 'arp', 'off']);
    if (this.placement) {
      this.steer(this.gen, genIf, this.placement.gen);
      this.steer(ns, 'c0', this.placement.responder);
    }
    this.lab.exec(ns, 'ip', ['link', 'set', 'c0', 'txqueuelen', '10000']);
    if (opts.kernelArp === false) this.lab.exec(ns, 'ip', ['link', 'set', 'c0', 'arp', 'off']);
    // The senders' addresses as permanent neighbours: user-space responders that answer
    // through the kernel's IPv6 stack (ndppd, npd6) would otherwise wait on neighbour
    // resolution for every sender, which the generator (no IP stack) never answers. A
    // real client answers once and is cached; this is that steady state.
    const lines: string[] = [];
    for (let s = 0; s < S_NS; s++) lines.push(`neigh replace ${nsSenderIp(s)} lladdr ${macText(senderMac(s))} dev c0 nud permanent`);
    for (let s = 0; s < S_ARP; s++) lines.push(`neigh replace ${arpSenderIp(s)} lladdr ${macText(senderMac(s))} dev c0 nud permanent`);
    this.lab.exec(ns, 'ip', ['-batch', '-'], { input: lines.join('\n') + '\n' });
    return { ns, genIf, ifname: 'c0', downIf: 'd0' };
  }

  /** Receive processing of frames arriving on `ifname` runs on `cpu` (RPS on every RX queue). */
  private steer(ns: string, ifname: string, cpu: number): void {
    const mask = (1 << cpu).toString(16);
    this.lab.exec(ns, 'sh', ['-c', `for q in /sys/class/net/${ifname}/queues/rx-*; do echo ${mask} > $q/rps_cpus; done`]);
  }

  /** Command prefix that runs a responder process on the responder CPU. */
  pinned(cmd: string, args: string[]): [string, string[]] {
    let c = cmd;
    let a = args;
    if (this.realtime) [c, a] = ['chrt', ['-f', '10', c, ...a]];
    if (this.placement) [c, a] = ['taskset', ['-c', String(this.placement.responder), c, ...a]];
    return [c, a];
  }

  exec(ns: string, cmd: string, args: string[], opts: { input?: string; allowFail?: boolean } = {}): string {
    return this.lab.exec(ns, cmd, args, opts);
  }

  /** Starts a daemon inside a namespace, output to `logFile`; stopped by stop() or destroy(). */
  spawn(ns: string, cmd: string, args: string[], logFile: string): ChildProcess {
    const fd = openSync(logFile, 'a');
    try {
      const [c, a] = this.pinned(cmd, args);
      const child = spawn('ip', ['netns', 'exec', ns, c, ...a], { stdio: ['ignore', fd, fd] });
      this.procs.push(child);
      return child;
    } finally {
      closeSync(fd);
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(child: ChildProcess, graceMs = 1000): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const done = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await done;
    clearTimeout(t);
  }

  /** Kills every daemon and deletes every namespace. Safe to call twice. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const c of this.procs) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    this.lab.destroy();
  }
}

export { sh };
