// neighproxy's batch loop in one process: the ring (src/engine) feeding the real
// src/pipeline Pipeline (wire parser, policy, builders, per-interface counters), as the
// daemon drives it, without its metrics endpoint, logging, control socket or link
// watching. Next to `neighproxy-*` it shows what those cost.
//   node dist/bench/pps/pipeline-responder.js CONFIG IFNAME    (inside the namespace)
import { execFileSync } from 'node:child_process';
import { loadConfig } from '../../src/config';
import { Ring } from '../../src/engine/ring';
import { type Ip6, newIp6, parseIp6 } from '../../src/net/addr';
import { IfaceSlot, monotonicSeconds, Pipeline } from '../../src/pipeline/pipeline';
import { InterfaceStats } from '../../src/pipeline/stats';
import { Policy } from '../../src/policy';
import type { PolicyEnvironment, PolicyOutput } from '../../src/policy';

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
  const pipeline = new Pipeline(policy);
  const slots = config.interfaces.map((c, i) => new IfaceSlot(c.name, i, new InterfaceStats(c.name)));
  pipeline.configure(config, slots);
  const slot = slots[0]!;
  slot.tx = ring.tx;
  slot.mac = ourMac;
  slot.linkLocal.set(linkLocal);
  ring.start((batch, tx) => pipeline.onBatch(0, batch, tx));
  const timer = setInterval(() => policy.tick(monotonicSeconds()), 100);
  const stop = (): void => {
    clearInterval(timer);
    ring.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main(process.argv[2] ?? '', process.argv[3] ?? 'c0');
