// Link types (ARPHRD_*, include/uapi/linux/if_arp.h) as rtnetlink (ifinfomsg.ifi_type) and
// sysfs (/sys/class/net/NAME/type) report them. neighproxy answers ARP and neighbour
// discovery, which exist only on links with a link-layer address: a tun, WireGuard, PPP or
// IP tunnel device carries bare IP packets, so nothing there can be captured or answered.
// Targets behind such a link are answered by `route` rules on the Ethernet side.

export const ARPHRD_ETHER = 1;
export const ARPHRD_PPP = 512;
export const ARPHRD_RAWIP = 519;
export const ARPHRD_TUNNEL = 768;
export const ARPHRD_TUNNEL6 = 769;
export const ARPHRD_LOOPBACK = 772;
export const ARPHRD_SIT = 776;
export const ARPHRD_IPGRE = 778;
export const ARPHRD_IP6GRE = 823;
/** tun (IFF_TUN), WireGuard, and other devices with no header at all. */
export const ARPHRD_NONE = 0xfffe;
export const ARPHRD_VOID = 0xffff;

/** Link types without a link layer, with the name the kernel headers give and what uses them. */
const NO_LINK_LAYER = new Map<number, string>([
  [ARPHRD_NONE, 'ARPHRD_NONE (tun, WireGuard: no link-layer header)'],
  [ARPHRD_PPP, 'ARPHRD_PPP (PPP)'],
  [ARPHRD_RAWIP, 'ARPHRD_RAWIP (raw IP)'],
  [ARPHRD_TUNNEL, 'ARPHRD_TUNNEL (IPIP tunnel)'],
  [ARPHRD_TUNNEL6, 'ARPHRD_TUNNEL6 (IP6IP6 tunnel)'],
  [ARPHRD_SIT, 'ARPHRD_SIT (SIT tunnel)'],
  [ARPHRD_IPGRE, 'ARPHRD_IPGRE (GRE tunnel)'],
  [ARPHRD_IP6GRE, 'ARPHRD_IP6GRE (IPv6 GRE tunnel)'],
  [ARPHRD_VOID, 'ARPHRD_VOID'],
]);

/**
 * True for a link type with no link-layer address and so no ARP or neighbour discovery
 * (tun, WireGuard, PPP, IP tunnels). A `probe` of such a link cannot ask the host: it
 * falls back to the kernel's route to the target.
 */
export function hasNoLinkLayer(type: number): boolean {
  return NO_LINK_LAYER.has(type);
}

/** The kernel's name for a link type, with what uses it (`ARPHRD_PPP (PPP)`), or `type N`. */
export function linkTypeName(type: number): string {
  if (type === ARPHRD_ETHER) return 'ARPHRD_ETHER (Ethernet)';
  if (type === ARPHRD_LOOPBACK) return 'ARPHRD_LOOPBACK (loopback)';
  return NO_LINK_LAYER.get(type) ?? `link type ${type}`;
}

/** Why `ifname` of link type `type` cannot be captured on, or undefined when it can. */
export function captureRefusal(ifname: string, type: number): string | undefined {
  if (!hasNoLinkLayer(type)) return undefined;
  return `${ifname} is a link without link layer, ${linkTypeName(type)}: there is no ARP or neighbour discovery on it to capture or answer. ` +
    `Leave it out of the configuration and answer for the targets behind it with a 'route' rule in the block of the Ethernet interface the requests arrive on`;
}
