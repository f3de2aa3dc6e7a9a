// The language reference printed by `neighproxy help config`. README.md (section Configuration) carries
// the same content with more explanation; a test checks both name every keyword.
export const CONFIG_REFERENCE = `neighproxy configuration language

The language is parpd's, extended line by line for IPv6 and ND proxying. One
directive per line; words are separated by blanks; '#' starts a comment that
runs to the end of the line. Blocks open with 'cache' or 'interface NAME' and
close with 'end'. A parpd configuration loads unchanged.

cache                         optional, at most once; defaults shown
 timeout    300               seconds a learned IP-MAC pair lives (0 = never learn)
 tablesize  65536             most entries kept; the least recently used goes first
 refresh    3*5               before expiry, up to 3 unicast probes 5 s apart (0*5 = none)
 delay      N*T               a 'delay' rule answers the N-th request for the same
                              pair seen within T s (4*3: the 4th within 3 s); default
                              unset: 'delay' rules then answer at once
 state-file /var/lib/neighproxy/cache.state
                              learned entries are saved here at stop and on
                              'ctl save' and read back at start with the lifetime
                              they had left ('none' = off; the default is used when
                              its directory exists, as the unit's StateDirectory=
                              makes it). A damaged or foreign file is logged, ignored
 probe-alive-size  4096       entries of the 'probe' rules' table of hosts found alive
 probe-absent-size 16384      entries of their table of addresses that did not answer
                              (4 to 16777216 each, rounded up to a power of two; about
                              37 bytes an entry; in a full set the entry nearest its
                              expiry goes first)
 probe-rate        100        probes (ARP request, NS) per second per probed interface
 probe-burst       100        probes at once before the rate applies (1 to 100000);
                              requests past it are not answered (probe_limited). The
                              four are read at start; a reload keeps them
end

limit source requests 25000/s burst 65536
                              requests answered per requester MAC and per requester
                              IP; over it: not answered, reason rate_limited
limit source sends 10/s burst 100
                              frames sent on a requester's behalf (resolutions) or
                              to one MAC (refresh probes)
limit interface requests off  requests answered on the interface, all together
limit interface sends 1000/s burst 1000
                              resolutions, retries and refresh probes of the interface
limit source guard 10/s burst 100
                              takeover probes to one owner (a claim for its address)
limit interface guard 256/s burst 256
                              takeover probes of the interface: a budget of their
                              own, so a flood of claims never delays resolutions or
                              refresh probes, nor they the guard; over it the claim
                              is refused, the entry stays (guard_interface)
limit interface mld 20/s burst 100
                              joins plus leaves of the solicited-node groups of
                              answered and learned IPv6 addresses (each sends MLD
                              reports); statics' and /128 rules' groups are not
                              counted; a group no longer wanted stays 60 s while
                              there is room; over it: deferred (mld_budget)
limit entries 64              cache entries one MAC may hold (top level only; counted
                              exactly per MAC, whatever other MACs hold)
                              RATE is N/s or 'off'; burst defaults to 1 s worth.
                              At top level: every interface; in an interface
                              block: that interface's own (not 'entries')
workers    auto               data-path threads: 'auto' (the default) is one per online
                              CPU, at most 4 (1 on one CPU; 1 with 'probe ... autowire');
                              or N (1 to 64). Each opens one ring per interface in a
                              PACKET_FANOUT group that steers frames by the address they
                              are about; 1 = one ring, no threads. Each worker maps every
                              interface's rings ('check' prints the memory; about 20 MiB
                              more per worker for its thread); 'tablesize' is the whole
                              cache, each worker holds its share. Changes apply at restart.
                              With N > 1 'limit' buckets are per worker (a source asking
                              for targets of N workers gets up to N times its rate), and
                              'limit entries' counts a MAC's entries in each worker's
                              share (an address's entry lives in the worker owning it):
                              up to that many per worker, N times it in all, never more
                              than it of one share; 'probe ... autowire' is refused (not yet)

interface NAME                one block per interface (Linux name, at most 15 bytes)
 rule SOURCE TARGET [delay] [verbose] [probes] ACTION
                              first matching rule decides; no match = no answer
 static ADDRESS MAC [announce]
                              always answer ADDRESS with MAC (announce: send 3
                              gratuitous ARP / unsolicited NA at start and reload)
 pin        ADDRESS...        addresses whose learned MAC the wire never changes
                              while the entry lives (IPv4 or IPv6; repeatable): a
                              gratuitous ARP or NA from another MAC is refused and
                              counted; the entry changes only when it expires.
                              Statics are pinned already; a redirect router is
                              probed on a claim, dropped and resolved again if
                              silent (never moved to the claimant)
 timeout    1                 seconds an answer waiting for a redirect target's MAC
                              (being resolved) is held before it is dropped;
                              parpd's interface timeout, decimals allowed (1.011)
 mac        MAC               MAC for 'self'/'route' answers and our frames
                              (default: the interface's own)
 vlan       any               VLANs handled: 'any' (default: untagged and every
                              VLAN), or a list like untagged,100,200-210
 promisc    no                put the interface in promiscuous mode
 allmulti   no|yes            receive all multicast (default: yes when the block
                              has IPv6 rules or statics, since the solicited-node
                              groups of proxied targets are never joined)
 ND-proxy settings (IPv6 only; like ndproxy(4)):
 uplink     ADDR...           answer only solicitations from these routers; repeatable;
                              '::' admits DAD-style sources (default: any source)
 exception  ADDR...           targets never proxied (the CPE's, our own); repeatable
 router     no                R flag in our advertisements
 override   no                O flag (RFC 4861 7.2.8 says 0 for proxied targets)
 dad        ignore            'defend': answer duplicate-address-detection probes
                              for proxied targets (as if every IPv6 rule had 'probes')
 na-source  link-local        source of our advertisements: 'link-local' or 'target'
 limit      ...               this interface's limits (see 'limit' above)
 ring       rx N tx N framesize B pace PPS
                              AF_PACKET ring geometry, each part optional (default:
                              rx 32768 tx 4096 framesize 256, 9 MiB, sized for a
                              20 000-request burst): frames per ring 1 to 1048576 (rounded
                              up to whole 4 KiB blocks), frame size a power of two
                              128 to 65536; RX plus TX at most 1 GiB. 'check'
                              prints the memory: rx 8192 x 512 B = 4 MiB, ...
                              pace: from PPS frames/s on the ring (default off;
                              1000 to 10000000, or 'off'), a batch under 64 frames
                              waits 1 ms before the next poll. It saves wake-ups
                              under flood: 20 000 spoofed NS/s cost 10-16 us of CPU
                              per frame unpaced (2-3 frames a wake-up), 4.6-6.7 us
                              paced (~25). It costs up to 1 ms more per answer, only
                              while the ring is that busy (10000 at 80 000/s: ARP
                              p99 104 us -> 1 580 us), hence off by default; set it
                              where CPU under flood matters more. A reload that changes it reopens
                              the ring
 table      N                 'route' rules look the target up in routing table N
                              (the daemon's own lookups carry a fwmark that a
                              policy rule sends to table N; see docs/daemon.md)
 vrf        NAME              'route' rules look the target up in VRF NAME (as
                              'ip route get vrf NAME'); 'table' or 'vrf', not both
 Active/standby pairs (keepalived, FRR vrrpd; default: always active):
 ha track   ADDRESS           active while ADDRESS (the VRRP virtual address) is
                              configured on this box, standby otherwise
 ha role    active|standby    the role when nothing else says ('ctl role' sets it
                              at run time; with 'ha track' the address decides)
 ha refresh 0                 seconds between re-announcements while active, after
                              the takeover burst (keepalived's
                              vrrp_garp_master_refresh; 0 = off)
                              Standby: nothing is answered or announced (reason
                              'standby'), learning goes on. Takeover: 3 gratuitous
                              ARP / unsolicited NA, 1 s apart (RFC 4861 7.2.6), for
                              every static and every target answered (or asked for
                              while standby) within the cache timeout; none when
                              the answer MAC is a VRRP virtual MAC (00:00:5e:00:01:XX,
                              00:00:5e:00:02:XX): it moves with the master.
end

Limits 'check' enforces because 'run' cannot exceed them: interface names of at
most 15 bytes of UTF-8 (Linux IFNAMSIZ; no control characters), tablesize at most
16777216 (about 115 bytes per entry, 1.8 GiB), at most 262144 statics in the file
(one static table for all interfaces).

SOURCE, TARGET    prefixes ADDRESS/LENGTH or plain addresses (= /32, /128); the
                  requester's and the requested address. Both of one family. Host
                  bits must be zero (198.51.100.0/24, not 198.51.100.1/24).
flags (before the action):
  delay           answer only the COUNT-th request within SECONDS (cache 'delay')
  verbose         log every decision this rule makes
  probes          also answer ARP probes/announcements and IPv6 DAD (source 0.0.0.0
                  or ::); by default they are left alone (RFC 5227, RFC 4862)
ACTION:
  ignore          stay silent
  tell            answer with the target's real MAC, as learned
  ADDRESS         redirect: answer with the MAC of ADDRESS (a router), same family
  self            answer with our MAC (classic proxy ARP / proxy NDP)
  route           answer with our MAC only when the kernel routes the target out
                  of another interface
  MAC             answer with this fixed MAC (ndproxy's downlink MAC)
  probe IFACE [autowire] [alive S] [absent S]
                  answer with our MAC only for targets alive on IFACE (another
                  'interface IFACE' block of this file): the first request sends
                  one ARP request / NS on IFACE and the answer waits for the
                  reply (this interface's 'timeout'); a target that replied, that
                  sent its own ARP/NA on IFACE, or that the kernel has REACHABLE
                  there is answered for 'alive' s (default 120); one that did not
                  reply is left unanswered, and not asked for again, for 'absent'
                  s (default 30): a scan costs one probe per address per 'absent'.
                  Without an 'interface IFACE' block, IFACE is a link without
                  link layer (tun, WireGuard, PPP: no ARP/ND to probe with): a
                  target is alive while the kernel routes it through IFACE
                  (no probe is sent; 'autowire' needs a block)
                  At most 100 probes/s per IFACE. autowire: a host route (/32,
                  /128) via IFACE while the target is alive, 'proto 78'
                  (ip route show proto 78); every proto 78 route is removed at
                  start (a crashed run's) and at stop
  template BASE/BITS
                  a MAC made from the target: the low BITS (8, 16, 24, 32 or 40;
                  at most 32 for IPv4) come from the low BITS of the target address,
                  the rest from BASE, whose low BITS must be zero.
                  template fe:fd:fd:fd:fd:00/8 answers 198.51.100.7 with
                  fe:fd:fd:fd:fd:07 (one MAC per VPN peer on a TAP device;
                  the base must be unicast: fd:... has the group bit set)

Errors are printed as FILE:LINE:COLUMN: found 'X', expected Y, all of them (up
to 20), and the daemon does not start. Warnings (same form, 'warning:') point at
rules shadowed by an earlier rule, 'delay' rules without 'cache delay', and
settings that have no effect. 'neighproxy check --config FILE' shows both.

Example (parpd's):
cache
 timeout       302
 tablesize     3499
 refresh       3*5
 delay         4*3
end
interface em0
 timeout       1.011
 rule          0.0.0.0/0        198.51.100.0/29    ignore
 rule          198.51.100.4/32  198.51.100.0/24    delay tell
 rule          198.51.100.0/29  198.51.100.0/24    tell
 rule          198.51.100.0/24  198.51.100.0/24    198.51.100.1
 rule          198.51.100.0/24  0.0.0.0/0          verbose 198.51.100.1
 rule          192.0.2.0/24     198.51.100.0/24    tell
 rule          0.0.0.0/0        0.0.0.0/0          verbose ignore
end
`;
