// Where the filters look in a frame, and what they return. Offsets count from the frame
// start when no VLAN tag is in band; the programs add X (the in-band tags' length).
export { ETH_P_8021AD, ETH_P_8021Q, ETH_P_ARP, ETH_P_IPV6, ETH_P_QINQ1 } from '../net/ethertypes';
export { IPPROTO_ICMPV6, ND_NEIGHBOR_ADVERT as ND_NA, ND_NEIGHBOR_SOLICIT as ND_NS } from '../wire/parse';

/** The snapshot length a passing frame keeps (what tcpdump's programs return). */
export const PASS = 262144;

export const OFF_ARP_HTYPE_PTYPE = 14;
export const OFF_ARP_HLEN_PLEN = 18;
export const OFF_ARP_OP = 20;
export const OFF_ARP_SPA = 28;
export const OFF_ARP_TPA = 38;
export const OFF_IP6_NXT = 20;
export const OFF_IP6_SRC = 22;
export const OFF_ICMP6_TYPE = 54;
export const OFF_ND_TARGET = 62;

/** Conditional jumps reach 255 ahead: range and prefix tests are cut into chunks with their own exits. */
export const CHUNK_INSNS = 240;
