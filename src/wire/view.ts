// FrameView: what one received frame says, filled in place by the wire parser.
//
// CONTRACT between src/wire (fills it) and src/policy (reads it). One instance is
// reused for every frame: the parser allocates nothing. Fields not meaningful for the
// frame's kind keep stale values; read only what `kind` makes valid. Fields may be
// added; existing names and meanings stay.
import { newIp6, type Ip4, type Ip6, type Mac } from '../net/addr';

export const enum FrameKind {
  /** Not ARP/NS/NA, or dropped by validation (see `drop`). */
  None = 0,
  ArpRequest = 1,
  ArpReply = 2,
  NeighborSolicitation = 3,
  NeighborAdvertisement = 4,
}

export class FrameView {
  kind: FrameKind = FrameKind.None;
  /** Validation drop reason (src/wire drop codes); 0 when the frame is valid. */
  drop = 0;

  // ---- link layer
  ethDst: Mac = 0;
  ethSrc: Mac = 0;
  /** VLAN id (0..4095) of the innermost 802.1Q tag, in-band or reported by the ring; -1 untagged. */
  vlan = -1;
  /** Outer tag's VLAN id for 802.1ad (QinQ) frames; -1 when there is only one tag or none. */
  outerVlan = -1;
  /** Priority (PCP, 0..7) of the innermost tag; 0 when untagged. */
  vlanPcp = 0;
  /** Priority (PCP) of the outer tag of a QinQ frame; 0 otherwise. */
  outerVlanPcp = 0;
  /** Absolute offset of the ARP or IPv6 header in the buffer that was parsed. */
  l3Offset = 0;

  // ---- ARP (kind ArpRequest / ArpReply)
  arpOp = 0;
  senderMac: Mac = 0;
  senderIp: Ip4 = 0;
  targetMac: Mac = 0;
  targetIp: Ip4 = 0;

  // ---- IPv6 ND (kind NeighborSolicitation / NeighborAdvertisement)
  readonly ip6Src: Ip6 = newIp6();
  readonly ip6Dst: Ip6 = newIp6();
  hopLimit = 0;
  /** The ND target address. */
  readonly target: Ip6 = newIp6();
  /** Source link-layer address option (NS, and NA when present); -1 when absent. */
  sourceLinkAddr: Mac | -1 = -1;
  /** Target link-layer address option (NA); -1 when absent. */
  targetLinkAddr: Mac | -1 = -1;
  /** NA flags: bit 2 = R (router), bit 1 = S (solicited), bit 0 = O (override). */
  naFlags = 0;
  /** Absolute offset of the nonce option's 6 bytes (RFC 3971/7527), -1 when absent. */
  nonceOffset = -1;
  /** Absolute offset of the ICMPv6 header (NS/NA). */
  icmpOffset = 0;
  /** ICMPv6 message length in bytes (the IPv6 payload length), options included. */
  icmpLength = 0;
}

export const NA_FLAG_ROUTER = 4;
export const NA_FLAG_SOLICITED = 2;
export const NA_FLAG_OVERRIDE = 1;
