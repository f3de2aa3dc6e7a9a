// Why a frame was not handed to policy: one stable code per validation rule.
//
// Codes index DROP_REASON_NAMES and a DropCounters array; names are the metric label
// values and log `reason` strings, so they never change once released (add at the end).

export const enum DropReason {
  /** Valid frame (FrameView.drop is 0). */
  None = 0,
  /** The frame ends before a header it announces (Ethernet, tag, ARP body, IPv6 header or payload). */
  Truncated,
  /** EtherType is neither ARP nor IPv6 (the BPF filter should not have let it through). */
  EthType,
  /** More than two VLAN tags (out-of-band tag counted). */
  VlanDepth,
  // ---- ARP (RFC 826)
  ArpBadHtype,
  ArpBadPtype,
  ArpBadHlen,
  ArpBadPlen,
  ArpBadOp,
  /** Sender hardware address is multicast or broadcast. */
  ArpSenderMac,
  // ---- IPv6 header
  Ip6Version,
  /** Source address is multicast (RFC 4291 section 2.7; the kernel drops these in ip6_rcv). */
  Ip6SrcMulticast,
  /** Next header is neither ICMPv6 nor an extension header leading to an ND message. */
  Ip6NextHeader,
  /** Extension headers in front of something that is not NS/NA, or that cannot be walked. */
  Ip6ExtHeader,
  /** ICMPv6 type is not 135 (NS) or 136 (NA). */
  Icmp6Type,
  // ---- Neighbor Solicitation (RFC 4861 section 7.1.1)
  NsHopLimit,
  NsLength,
  NsCode,
  NsTargetMulticast,
  /** An option of length 0, or one running past the ICMPv6 payload. */
  NsOptionLength,
  /** Source link-layer option whose length is not 1 (8 bytes, RFC 2464 section 8). */
  NsLladdrLength,
  /** Source `::` but the destination is not a solicited-node group. */
  NsUnspecDst,
  /** Source `::` with a source link-layer option. */
  NsUnspecSllao,
  NsChecksum,
  /** Any IPv6 extension header before the NS (RFC 6980). */
  NsExtHeader,
  /** A fragment header before the NS (RFC 6980 section 5). */
  NsFragment,
  // ---- Neighbor Advertisement (RFC 4861 section 7.1.2)
  NaHopLimit,
  NaLength,
  NaCode,
  NaTargetMulticast,
  /** S=1 but the destination is multicast. */
  NaSolicitedMulticast,
  NaOptionLength,
  /** Target link-layer option whose length is not 1. */
  NaLladdrLength,
  NaChecksum,
  NaExtHeader,
  NaFragment,
}

/** Stable names, indexed by DropReason. */
export const DROP_REASON_NAMES: readonly string[] = Object.freeze([
  'none',
  'truncated',
  'eth_type',
  'vlan_depth',
  'arp_bad_htype',
  'arp_bad_ptype',
  'arp_bad_hlen',
  'arp_bad_plen',
  'arp_bad_op',
  'arp_sender_mac',
  'ip6_version',
  'ip6_src_multicast',
  'ip6_next_header',
  'ip6_ext_header',
  'icmp6_type',
  'ns_hop_limit',
  'ns_length',
  'ns_code',
  'ns_target_multicast',
  'ns_option_length',
  'ns_lladdr_length',
  'ns_unspec_dst',
  'ns_unspec_sllao',
  'ns_checksum',
  'ns_ext_header',
  'ns_fragment',
  'na_hop_limit',
  'na_length',
  'na_code',
  'na_target_multicast',
  'na_solicited_multicast',
  'na_option_length',
  'na_lladdr_length',
  'na_checksum',
  'na_ext_header',
  'na_fragment',
]);

export const DROP_REASON_COUNT = DROP_REASON_NAMES.length;

/**
 * Counts per DropReason. Float64 so counts never wrap (exact to 2^53). Hot path:
 * `if (kind === FrameKind.None) drops[view.drop]++` (index 0 counts valid-but-ignored
 * never; parseFrame sets drop != 0 whenever it returns None).
 */
export type DropCounters = Float64Array;

export function newDropCounters(): DropCounters {
  return new Float64Array(DROP_REASON_COUNT);
}

/** Non-zero counters by name, for metrics export and logs (not for the hot path). */
export function dropCountersByName(c: DropCounters): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 1; i < c.length && i < DROP_REASON_COUNT; i++) if (c[i]! > 0) out[DROP_REASON_NAMES[i]!] = c[i]!;
  return out;
}
