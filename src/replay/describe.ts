// One line per frame for `neighproxy replay`, told from the FrameView that src/wire's
// parser filled: ARP and ND frames the parser accepts are described from its fields, so
// replay reads them exactly as the daemon does. A frame the parser rejects keeps what
// little replay can say of it (EtherType, IPv4/IPv6 header fields) at the offset the
// parser found; only ARP and ND are modelled in src/wire, and replay models nothing else.
import { formatIp4, formatIp6, formatMac, newIp6, readIp4, readIp6 } from '../net/addr';
import { ETH_P_ARP, ETH_P_IPV6 } from '../net/ethertypes';
import { IPPROTO_ICMPV6, ND_NEIGHBOR_ADVERT, ND_NEIGHBOR_SOLICIT } from '../wire/parse';
import { DropReason, DROP_REASON_NAMES } from '../wire/drop';
import { FrameKind, type FrameView } from '../wire/view';

const ETH_P_IP = 0x0800;
const ICMPV6_ECHO_REQUEST = 128;

/**
 * Describes the frame that parseFrame judged into `view`. The caller sets `view.l3Offset`
 * to -1 before parsing, so a frame rejected before its layer-3 header is told apart.
 */
export function describeFrame(view: FrameView, b: Uint8Array, len: number): string {
  if (view.l3Offset < 0) {
    if (len < 14) return `truncated Ethernet header (${len} bytes)`;
    if (view.drop === DropReason.VlanDepth) return `more than two VLAN tags (${len} bytes)`;
    return `truncated VLAN tag (${len} bytes)`;
  }
  const tags = view.outerVlan >= 0 ? `vlan ${view.outerVlan} vlan ${view.vlan} ` : view.vlan >= 0 ? `vlan ${view.vlan} ` : '';
  return tags + describeLayer3(view, b, len);
}

function describeLayer3(view: FrameView, b: Uint8Array, len: number): string {
  switch (view.kind) {
    case FrameKind.ArpRequest:
      if (view.senderIp === 0) return `ARP probe who-has ${formatIp4(view.targetIp)}`;
      if (view.senderIp === view.targetIp) return `ARP gratuitous request ${formatIp4(view.senderIp)}`;
      return `ARP request who-has ${formatIp4(view.targetIp)} tell ${formatIp4(view.senderIp)}`;
    case FrameKind.ArpReply:
      return `ARP reply ${formatIp4(view.senderIp)} is-at ${formatMac(view.senderMac)}`;
    case FrameKind.NeighborSolicitation:
      return `NS who-has ${formatIp6(view.target)} from ${formatIp6(view.ip6Src)}`;
    case FrameKind.NeighborAdvertisement:
      return `NA ${formatIp6(view.target)} from ${formatIp6(view.ip6Src)}`;
    default:
      return describeRejected(view, b, len);
  }
}

/** A frame the wire parser rejected (view.drop says why), by its EtherType. */
function describeRejected(view: FrameView, b: Uint8Array, len: number): string {
  const l3 = view.l3Offset;
  const et = (b[l3 - 2]! << 8) | b[l3 - 1]!;
  if (et === ETH_P_ARP) {
    if (view.drop === DropReason.Truncated) return `ARP truncated (${len} bytes)`;
    return `ARP invalid (${DROP_REASON_NAMES[view.drop]})`;
  }
  if (et === ETH_P_IPV6) {
    if (len < l3 + 40) return `IPv6 truncated (${len} bytes)`;
    const src = formatIp6(readIp6(b, l3 + 8, newIp6()));
    const nxt = b[l3 + 6]!;
    if (nxt !== IPPROTO_ICMPV6) return `IPv6 next-header ${nxt} from ${src}`;
    if (len < l3 + 41) return `ICMPv6 truncated (${len} bytes)`;
    const type = b[l3 + 40]!;
    if (type === ICMPV6_ECHO_REQUEST) return `ICMPv6 echo request from ${src}`;
    if ((type === ND_NEIGHBOR_SOLICIT || type === ND_NEIGHBOR_ADVERT) && view.drop !== DropReason.Truncated) {
      return `${type === ND_NEIGHBOR_SOLICIT ? 'NS' : 'NA'} invalid (${DROP_REASON_NAMES[view.drop]}) from ${src}`;
    }
    return `ICMPv6 type ${type} from ${src}`;
  }
  if (et === ETH_P_IP) {
    if (len < l3 + 20) return `IPv4 truncated (${len} bytes)`;
    return `IPv4 proto ${b[l3 + 9]} ${formatIp4(readIp4(b, l3 + 12))} > ${formatIp4(readIp4(b, l3 + 16))}`;
  }
  return `ethertype 0x${et.toString(16).padStart(4, '0')} (${len} bytes)`;
}
