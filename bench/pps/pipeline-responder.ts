// neighproxy's pipeline in one process, for the bench while the daemon is not built:
// the ring (src/engine), the wire parser and builders (src/wire), the policy (src/policy)
// with the configuration (src/config), glued as the daemon glues them, without its
// metrics, logging, control socket or link watching.
//   node dist/bench/pps/pipeline-responder.js CONFIG IFNAME    (inside the namespace)
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../../src/config';
import { Ring } from '../../src/engine/ring';
import { DESC_LENGTH, DESC_OFFSET, DESC_STRIDE, DESC_VLAN_TCI, type Batch, type TxWriter } from '../../src/engine/types';
import { type Ip6, newIp6, parseIp6 } from '../../src/net/addr';
import { Policy, Verdict } from '../../src/policy';
import type { PolicyEnvironment, PolicyOutput } from '../../src/policy';
import { buildArpReplyTo, buildNaReplyTo, buildNeighborAdvertisement, replyVlan } from '../../src/wire/build';
import { parseFrame } from '../../src/wire/parse';
import { FrameKind, FrameView } from '../../src/wire/view';

function linkLocalOf(ifname: string): Ip6 {
  const out = execFileSync('ip', ['-6', '-j', 'addr', 'show', 'dev', ifname, 'scope', 'link'], { encoding: 'utf8' });
  const info = JSON.parse(out || '[]') as Array<{ addr_info?: Array<{ local: string }> }>;
  const text = info[0]?.addr_info?.[0]?.local;
  return (text && parseIp6(text)) || newIp6();
}

function main(configFile: string, ifname: string): void {
  const { config } = loadConfig(configFile);
  const ring = Ring.open(ifname, { rxFrames: 8192, txFrames: 4096 });
  const ourMac = config.interfaces[0]?.mac ?? ring.mac;
  const linkLocal = linkLocalOf(ifname);
  const env: PolicyEnvironment = {
    interfaceMac: () => ourMac,
    isOwnIp4: () => false,
    isOwnIp6: () => false,
    sourceIp4: () => 0,
    sourceIp6: (_i, out) => {
      out.set(linkLocal);
      return true;
    },
    routeInterface: () => undefined,
  };
  // Refresh probes and announcements are not part of the bench's traffic: dropped.
  const nothing = (): void => {};
  const output: PolicyOutput = {
    arpRequest: nothing,
    arpReply: nothing,
    arpAnnounce: nothing,
    neighborSolicitation: nothing,
    neighborAdvertisement: nothing,
    unsolicitedNa: nothing,
  };
  const policy = new Policy({ config, env, output });
  const view = new FrameView();
  ring.start((batch: Batch, tx: TxWriter) => {
    const now = performance.now() / 1000;
    const { buf, desc, count } = batch;
    for (let i = 0; i < count; i++) {
      const base = i * DESC_STRIDE;
      const kind = parseFrame(buf, desc[base + DESC_OFFSET]!, desc[base + DESC_LENGTH]!, desc[base + DESC_VLAN_TCI]!, view);
      if (kind === FrameKind.None) continue;
      const d = policy.handle(view, 0, now);
      if (d.verdict !== Verdict.Answer) continue;
      const off = tx.reserve();
      if (off < 0) return;
      let len: number;
      if (kind === FrameKind.ArpRequest || kind === FrameKind.ArpReply) {
        len = buildArpReplyTo(tx.buf, off, view, d.answerMac, ourMac);
      } else if (d.toAllNodes || d.dstMac !== 0) {
        len = buildNeighborAdvertisement(tx.buf, off, replyVlan(view), ourMac, d.dstMac, linkLocal, d.dstIp6, view.target,
          d.answerMac, d.naFlags);
      } else {
        len = buildNaReplyTo(tx.buf, off, view, d.answerMac, ourMac, linkLocal, d.naFlags);
      }
      tx.commit(len);
    }
  });
  const timer = setInterval(() => policy.tick(performance.now() / 1000), 100);
  const stop = (): void => {
    clearInterval(timer);
    ring.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main(process.argv[2] ?? '', process.argv[3] ?? 'c0');
