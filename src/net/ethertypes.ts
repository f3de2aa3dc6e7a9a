// EtherTypes and TPIDs (linux/if_ether.h): the one table every layer reads (the wire
// parser and builders, the BPF filters, the bench's frame builders). Kernel ABI numbers only.

/** Every protocol: the packet socket's bind (sll_protocol, in network order there). */
export const ETH_P_ALL = 0x0003;
export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;
export const ETH_P_IPV6 = 0x86dd;
/** 802.1Q VLAN tag (C-tag) TPID. */
export const ETH_P_8021Q = 0x8100;
/** 802.1ad service tag (S-tag, QinQ outer) TPID. */
export const ETH_P_8021AD = 0x88a8;
/** Pre-standard QinQ TPID still seen on some switches; the kernel leaves it in band. */
export const ETH_P_QINQ1 = 0x9100;
