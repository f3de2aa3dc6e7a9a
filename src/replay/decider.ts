// The policy as replay's DecideFn: the daemon's Pipeline (src/pipeline/pipeline.ts: parse
// with src/wire, decide with src/policy, build the answer) over a one-slot TX writer.
//
// Replay has no live interface, so the host facts are fixed: the interface MAC is the
// configured `mac` or 00:00:5e:00:53:00 (RFC 7042 documentation MAC), the host owns no
// addresses, `route` finds no route, ND answers come from the EUI-64 link-local address of
// that MAC (or the target, with `na-source target`). Frames the policy would send besides
// the answers (resolutions, refresh probes, announcements) are counted, not written.
import type { Config } from '../config/types';
import { Policy, type PolicyEnvironment, type PolicyOutput } from '../policy';
import { newIp6, type Family, type Ip4, type Ip6, type Mac } from '../net/addr';
import { DESC_LENGTH, DESC_OFFSET, DESC_STRIDE, DESC_VLAN_TCI, VLAN_NONE, type TxWriter } from '../engine/types';
import { FrameKind } from '../wire/view';
import { IfaceSlot, Pipeline } from '../pipeline/pipeline';
import { InterfaceStats } from '../pipeline/stats';
import { copyDecision, type DecideFn } from './replay';

/** RFC 7042 documentation MAC, the replayed interface's MAC when the config sets none. */
export const REPLAY_MAC: Mac = 0x00005e005300;

/** fe80::/64 + modified EUI-64 of `mac`. */
function linkLocal(mac: Mac): Ip6 {
  const hi = Math.floor(mac / 0x1000000); // first 3 bytes
  const lo = mac % 0x1000000; // last 3 bytes
  const ip = newIp6();
  ip[0] = 0xfe800000;
  ip[1] = 0;
  ip[2] = ((((hi ^ 0x020000) << 8) | 0xff) >>> 0);
  ip[3] = ((0xfe000000 | lo) >>> 0);
  return ip;
}

/** Counts of the extra frames the policy asked to send during a replay. */
export interface ExtraFrames {
  arpRequests: number;
  arpReplies: number;
  announcements: number;
  solicitations: number;
  advertisements: number;
}

/** The policy's decision function for interface `ifIndex` (null is kept in the type for builds without a policy). */
export function policyDecider(config: Config, ifIndex: number, extra?: ExtraFrames): DecideFn | null {
  const ifc = config.interfaces[ifIndex]!;
  const ourMac = ifc.mac ?? REPLAY_MAC;
  const ll = linkLocal(ourMac);
  const env: PolicyEnvironment = {
    interfaceMac: (): Mac => ourMac,
    isOwnIp4: (): boolean => false,
    isOwnIp6: (): boolean => false,
    sourceIp4: (): Ip4 => 0,
    sourceIp6: (_i: number, out: Ip6): boolean => {
      out.set(ll);
      return true;
    },
    routeInterface: (_f: Family, _a: Ip4 | Ip6): string | undefined => undefined,
  };
  const x: ExtraFrames = extra ?? { arpRequests: 0, arpReplies: 0, announcements: 0, solicitations: 0, advertisements: 0 };
  const output: PolicyOutput = {
    arpRequest: () => void x.arpRequests++,
    arpReply: () => void x.arpReplies++,
    arpAnnounce: () => void x.announcements++,
    neighborSolicitation: () => void x.solicitations++,
    neighborAdvertisement: () => void x.advertisements++,
    unsolicitedNa: () => void x.advertisements++,
  };
  const policy = new Policy({ config, env, output });

  // The daemon's own pipeline answers, so a replay shows exactly what `run` would send:
  // one frame a batch, a TX "ring" of one slot that keeps what was committed.
  let now = 0;
  const pipeline = new Pipeline(policy, () => now);
  const slots = config.interfaces.map((c, i) => new IfaceSlot(c.name, i, new InterfaceStats(c.name)));
  pipeline.configure(config, slots);
  const slot = slots[ifIndex]!;
  slot.mac = ourMac;
  slot.linkLocal.set(ll);
  const desc = new Uint32Array(DESC_STRIDE);
  const batch: { count: number; buf: Uint8Array; desc: Uint32Array } = { count: 1, buf: new Uint8Array(0), desc };
  let committed = 0;
  const tx: TxWriter = {
    buf: new Uint8Array(512),
    slotSize: 512,
    reserve: () => (committed > 0 ? -1 : 0),
    commit: (length: number) => void (committed = length),
    flush: () => 0,
  };
  return (frame, len, vlanTci, at) => {
    now = at;
    committed = 0;
    batch.buf = frame;
    desc[DESC_OFFSET] = 0;
    desc[DESC_LENGTH] = len;
    desc[DESC_VLAN_TCI] = vlanTci < 0 ? VLAN_NONE : vlanTci;
    pipeline.onBatch(ifIndex, batch, tx);
    const view = pipeline.view;
    // The pipeline hands only ARP/ND frames to the policy; ask it about the rest too, so
    // every row says why (invalid: the wire parser's drop reason).
    const d = view.kind === FrameKind.None ? policy.handle(view, ifIndex, now) : policy.decision;
    return { decision: copyDecision(d), drop: view.drop, reply: committed > 0 ? tx.buf.slice(0, committed) : null };
  };
}
