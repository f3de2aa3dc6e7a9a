// rtnetlink numbers (linux/netlink.h, linux/rtnetlink.h, linux/if_link.h, linux/if_addr.h,
// linux/neighbour.h). Only the ones neighproxy reads or writes.

export const NLMSG_HDRLEN = 16;
export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;

export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
export const NLM_F_DUMP = 0x300;
/** In an NLMSG_ERROR: extended-ack attributes follow the echoed header. */
export const NLM_F_ACK_TLVS = 0x200;

export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;
export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;
export const RTM_GETROUTE = 26;
export const RTM_NEWNEIGH = 28;
export const RTM_DELNEIGH = 29;
export const RTM_GETNEIGH = 30;
export const RTM_NEWRULE = 32;
export const RTM_DELRULE = 33;

/** Multicast group numbers (enum rtnetlink_groups), joined with NETLINK_ADD_MEMBERSHIP. */
export const RTNLGRP_LINK = 1;
export const RTNLGRP_NEIGH = 3;
export const RTNLGRP_IPV4_IFADDR = 5;
export const RTNLGRP_IPV4_ROUTE = 7;
export const RTNLGRP_IPV4_RULE = 8;
export const RTNLGRP_IPV6_IFADDR = 9;
export const RTNLGRP_IPV6_ROUTE = 11;
export const RTNLGRP_IPV6_RULE = 19;

export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;

export const IFF_UP = 0x1;
export const IFF_LOWER_UP = 0x10000;

export const IFLA_ADDRESS = 1;
export const IFLA_IFNAME = 3;
export const IFLA_MTU = 4;
export const IFLA_MASTER = 10;
export const IFLA_OPERSTATE = 16;
export const IFLA_LINKINFO = 18;
export const IFLA_INFO_KIND = 1;
export const IFLA_INFO_DATA = 2;
export const IFLA_VRF_TABLE = 1;

export const IFA_ADDRESS = 1;
export const IFA_LOCAL = 2;
export const IFA_LABEL = 3;
export const IFA_FLAGS = 8;

export const RTA_DST = 1;
export const RTA_SRC = 2;
export const RTA_IIF = 3;
export const RTA_OIF = 4;
export const RTA_GATEWAY = 5;
export const RTA_PRIORITY = 6;
export const RTA_PREFSRC = 7;
export const RTA_MULTIPATH = 9;
export const RTA_TABLE = 15;
export const RTA_MARK = 16;

// FIB rules (linux/fib_rules.h): struct fib_rule_hdr is 12 bytes, then FRA_* attributes.
export const FRA_PRIORITY = 6;
export const FRA_FWMARK = 10;
export const FRA_TABLE = 15;
export const FRA_FWMASK = 16;
export const FR_ACT_TO_TBL = 1;
export const FR_ACT_UNREACHABLE = 7;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;

export const RTN_UNICAST = 1;
export const RTN_LOCAL = 2;

/** rtm_flags in a RTM_GETROUTE request: answer with the FIB entry that matched, not the lookup result. */
export const RTM_F_FIB_MATCH = 0x2000;
/** rtm_flags in a RTM_GETROUTE request: report the table the lookup matched in (else main; kernel >= 4.12). */
export const RTM_F_LOOKUP_TABLE = 0x1000;

export const NDA_DST = 1;
export const NDA_LLADDR = 2;

export const RT_TABLE_MAIN = 254;

export const RT_SCOPE_UNIVERSE = 0;
export const RT_SCOPE_LINK = 253;
/** ndm_state bit of a confirmed neighbour. */
export const NUD_REACHABLE = 0x02;
/**
 * rtm_protocol of the host routes `probe ... autowire` installs (`ip route show proto 78`).
 * Unused by the kernel's list (include/uapi/linux/rtnetlink.h: 0-4, 8-18, 42, 99, 186-192),
 * by iproute2's rt_protos and by FRR (186-199): 78 is ASCII 'N'. Routes with it are ours to remove.
 */
export const RTPROT_NEIGHPROXY = 78;
