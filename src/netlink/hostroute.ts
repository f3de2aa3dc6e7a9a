// Host routes (/32, /128 via an interface) as `probe ... autowire` installs them: built as
// RTM_NEWROUTE / RTM_DELROUTE messages with our own rtm_protocol (RTPROT_NEIGHPROXY). The
// kernel matches rtm_protocol on delete when it is not 0 (IPv4 fib_table_delete, IPv6
// ip6_route_del), so a delete built here can never remove a route someone else installed.
import { Family, type Ip4, type Ip6 } from '../net/addr';
import * as C from './constants';
import { addressBytes, buildMessage } from './message';

export interface HostRoute {
  family: Family;
  dst: Ip4 | Ip6;
  /** The interface's ifindex. */
  oif: number;
  /** The table (RT_TABLE_MAIN, or the VRF's). */
  table: number;
}

const LE = true;

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, LE);
  return b;
}

/** struct rtmsg for a host route of ours, and its attributes. */
function parts(r: HostRoute, prefixLen?: number): { fixed: Uint8Array; attrs: [number, Uint8Array][] } {
  const fixed = new Uint8Array(12);
  const v4 = r.family === Family.V4;
  fixed[0] = v4 ? C.AF_INET : C.AF_INET6;
  fixed[1] = prefixLen ?? (v4 ? 32 : 128);
  fixed[4] = r.table < 256 ? r.table : 252; // RT_TABLE_COMPAT; RTA_TABLE holds the real one
  fixed[5] = C.RTPROT_NEIGHPROXY;
  // A route with no gateway is on-link: scope link for IPv4 (as `ip route add X dev D`); IPv6 keeps universe.
  fixed[6] = v4 ? C.RT_SCOPE_LINK : C.RT_SCOPE_UNIVERSE;
  fixed[7] = C.RTN_UNICAST;
  const attrs: [number, Uint8Array][] = [[C.RTA_DST, addressBytes(r.family, r.dst)], [C.RTA_TABLE, u32(r.table)]];
  if (r.oif) attrs.push([C.RTA_OIF, u32(r.oif)]);
  return { fixed, attrs };
}

/** `ip route add DST/32|128 dev OIF table T proto 78`: fails with EEXIST if the route exists (whoever made it). */
export function buildAddHostRoute(seq: number, r: HostRoute): Uint8Array {
  const { fixed, attrs } = parts(r);
  return buildMessage(C.RTM_NEWROUTE, C.NLM_F_REQUEST | C.NLM_F_ACK | C.NLM_F_CREATE | C.NLM_F_EXCL, seq, fixed, attrs);
}

/** `ip route del DST/LEN [dev OIF] table T proto 78`: ESRCH when no route of ours matches. */
export function buildDelHostRoute(seq: number, r: HostRoute, prefixLen?: number): Uint8Array {
  const { fixed, attrs } = parts(r, prefixLen);
  return buildMessage(C.RTM_DELROUTE, C.NLM_F_REQUEST | C.NLM_F_ACK, seq, fixed, attrs);
}
