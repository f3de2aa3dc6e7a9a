// What one reply costs the kernel on its way out of the TX ring, by TX setting (issue 11
// item 5: where the system time per reply goes).
//
//   node dist/bench/txcost.js [--frames 300000] [--runs 3] [--family arp|ns|both]
//                             [--k 1,16,64,256] [--peer drop,capture,steered]
//                             [--linear both|true|false] [--bypass both|true|false]
//
// One process, two namespaces joined by a veth (tx0 -- rx0). A Ring on tx0 writes the
// daemon's reply frames (42-byte ARP reply, 86-byte Neighbor Advertisement) into its TX
// slots, K at a time, and hands each K over with one sendto() (tx.flush()). Per frame:
//   send ns  median over the sendto() calls of their wall time / K: a sendto on a
//            packet socket never sleeps (MSG_DONTWAIT), so this is its system time,
//            robust to preemption by other work (a median);
//   sys, usr getrusage (process.cpuUsage) over the sending loops, frame writing included.
// The far side of the wire decides how much of the receiver's work veth charges to the
// sender: veth hands each frame to the peer's receive path inside the sender's sendto.
//   drop     nothing listens on rx0 (ARP off, IPv6 off): the peer frees the frame at once;
//   capture  a packet ring on rx0 (the pps bench's reply capture, or a tcpdump);
//   steered  RPS runs rx0's receive on the other CPU (this process pinned to CPU 0), so the
//            sendto pays only the sending side, as it would with a NIC.
// Settings compared: linearTx (PACKET_VNET_HDR: the frame copied into the skb head, the
// default) or not (the frame attached as a ring-page fragment), and PACKET_QDISC_BYPASS.
// Root needed. Medians of --runs.
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { Lab } from '../test/helpers/netns';
import { Ring } from '../src/engine/ring';
import { ARP_REPLY_AND_NA_FILTER, REJECT_ALL_FILTER } from '../src/engine/filters';

type Peer = 'drop' | 'capture' | 'steered';

interface Variant {
  linear: boolean;
  bypass: boolean;
  k: number;
  peer: Peer;
}

interface Cost {
  sendNs: number;
  sysNs: number;
  userNs: number;
  frames: number;
}

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
}

function median(xs: number[]): number {
  const s = Float64Array.from(xs).sort();
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const SRC_MAC = [0x02, 0x00, 0x5e, 0x00, 0x53, 0x10];
// Not rx0's address: like the pps bench's replies (to varied requester MACs), they arrive
// as PACKET_OTHERHOST, which the peer's IP stack drops without a look.
const DST_MAC = [0x02, 0x00, 0x5e, 0x00, 0x53, 0x01];

/** The daemon's ARP reply: 42 bytes, no padding. */
function arpReply(): Uint8Array {
  return Uint8Array.from([...DST_MAC, ...SRC_MAC, 0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 2,
    ...SRC_MAC, 192, 0, 2, 10, ...DST_MAC, 192, 0, 2, 20]);
}

/** The daemon's Neighbor Advertisement with the target link-layer option: 86 bytes. */
function naReply(): Uint8Array {
  const f = new Uint8Array(86);
  f.set([...DST_MAC, ...SRC_MAC, 0x86, 0xdd]);
  f.set([0x60, 0, 0, 0, 0, 32, 58, 255], 14);
  f.set([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10], 22); // fe80::10
  f.set([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01], 38); // fe80::1
  f.set([136, 0, 0, 0, 0x60, 0, 0, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20], 54);
  f.set([2, 1, ...SRC_MAC], 78);
  return f;
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Sends `frames` copies of `frame` K per sendto from a Ring on tx0 with the variant's settings. */
async function measure(lab: Lab, ns: string, v: Variant, frame: Uint8Array, frames: number): Promise<Cost> {
  const ring = Ring.open('tx0', {
    netns: lab.nsPath(ns), filter: REJECT_ALL_FILTER, rxFrames: 16, txFrames: 4096, frameSize: 256,
    linearTx: v.linear, qdiscBypass: v.bypass,
  });
  const tx = ring.tx;
  const perFrame: number[] = [];
  let sent = 0;
  let user = 0;
  let sys = 0;
  try {
    // Warm-up cycle (not counted): slab caches, page tables, branch predictors.
    for (let pass = 0; pass < 2; pass++) {
      const goal = pass === 0 ? Math.min(frames, 8192) : frames;
      let done = 0;
      while (done < goal) {
        const c0 = process.cpuUsage();
        // One cycle: as many groups of K as the TX ring has free slots.
        let stalled = false;
        for (let g = 0; g < Math.floor(4096 / v.k) && done < goal && !stalled; g++) {
          let n = 0;
          for (; n < v.k; n++) {
            const off = tx.reserve();
            if (off < 0) {
              stalled = true;
              break;
            }
            tx.buf.set(frame, off);
            tx.commit(frame.length);
          }
          if (n === 0) break;
          const t0 = process.hrtime.bigint();
          tx.flush();
          const ns = Number(process.hrtime.bigint() - t0);
          if (pass === 1 && n === v.k) perFrame.push(ns / n);
          done += n;
        }
        const c = process.cpuUsage(c0);
        if (pass === 1) {
          user += c.user;
          sys += c.system;
        }
        // Let the capture ring drain and (steered) the other CPU hand the slots back.
        await tick();
      }
      if (pass === 1) sent = done;
    }
  } finally {
    ring.close();
  }
  return { sendNs: median(perFrame), sysNs: (sys * 1000) / sent, userNs: (user * 1000) / sent, frames: sent };
}

async function main(): Promise<void> {
  const frames = Number(arg('frames', '300000'));
  const runs = Number(arg('runs', '3'));
  const families = arg('family', 'both') === 'both' ? ['arp', 'ns'] : [arg('family', 'arp')];
  const ks = arg('k', '1,16,64,256').split(',').map(Number);
  const peers = arg('peer', 'drop,capture,steered').split(',') as Peer[];
  const bools = (name: string): boolean[] => (arg(name, 'both') === 'both' ? [false, true] : [arg(name, 'both') === 'true']);
  const linears = bools('linear');
  const bypasses = bools('bypass');
  if (peers.includes('steered') && cpus().length < 2) throw new Error('--peer steered needs two CPUs');
  const lab = new Lab('txc');
  process.on('SIGINT', () => {
    lab.destroy();
    process.exit(130);
  });
  try {
    const a = lab.netns('a');
    const b = lab.netns('b');
    lab.veth(a, 'tx0', b, 'rx0');
    lab.exec(b, 'ip', ['link', 'set', 'rx0', 'arp', 'off']);
    lab.exec(b, 'sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1']);
    console.log(`txcost: ${frames} frames per measure, ${runs} runs (medians), ${cpus().length} CPUs, load ${execFileSync('cat', ['/proc/loadavg']).toString().split(' ').slice(0, 3).join(' ')}`);
    console.log('family  peer     linear  bypass     K   send ns/frame   sys ns/frame   usr ns/frame');
    for (const peer of peers) {
      let capture: Ring | undefined;
      if (peer === 'capture') {
        capture = Ring.open('rx0', { netns: lab.nsPath(b), filter: ARP_REPLY_AND_NA_FILTER, rxFrames: 65536, txFrames: 1, frameSize: 256, batchLimit: 512 });
        capture.start(() => {});
      }
      const rps = peer === 'steered' ? '2' : '0';
      lab.exec(b, 'sh', ['-c', `for q in /sys/class/net/rx0/queues/rx-*; do echo ${rps} > $q/rps_cpus; done`]);
      execFileSync('taskset', ['-a', '-p', '-c', peer === 'steered' ? '0' : `0-${cpus().length - 1}`, String(process.pid)], { stdio: 'ignore' });
      for (const family of families) {
        const frame = family === 'arp' ? arpReply() : naReply();
        for (const linear of linears) {
          for (const bypass of bypasses) {
            for (const k of ks) {
              const v: Variant = { linear, bypass, k, peer };
              const rs: Cost[] = [];
              for (let r = 0; r < runs; r++) rs.push(await measure(lab, a, v, frame, frames));
              const m = (f: (c: Cost) => number): string => median(rs.map(f)).toFixed(0).padStart(14);
              console.log(`${family.padEnd(6)}  ${peer.padEnd(7)}  ${String(linear).padEnd(6)}  ${String(bypass).padEnd(6)}  ${String(k).padStart(4)}  ${m((c) => c.sendNs)}  ${m((c) => c.sysNs)} ${m((c) => c.userNs)}`);
            }
          }
        }
      }
      capture?.close();
    }
  } finally {
    lab.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
