// The `ha` lines of an interface block (active/standby pairs, issue 13 item 2) and the
// `table`/`vrf` setting of `route` rules. Each sub-keyword once per interface:
//   ha track ADDRESS        active while ADDRESS is configured on this box (a VRRP VIP)
//   ha role active|standby  the role until `ctl role` or a tracked address says otherwise
//   ha refresh SECONDS      re-announce every SECONDS while active (0: off, the default)
//   table N | vrf NAME      `route` rules look the target up in this table / VRF
import type { Tok } from './lexer';
import type { Reporter } from './report';
import type { HaConfig, InterfaceConfig } from './types';
import { address, choice, uint } from './values';

const HA_WORDS = ['track', 'role', 'refresh'] as const;

export function newHaConfig(): HaConfig {
  return { track: null, role: null, refresh: 0 };
}

/** One `ha WORD VALUE` line; `seen` holds `ha track` etc. for the once-per-block check. */
export function haLine(r: Reporter, toks: Tok[], cfg: InterfaceConfig, seen: Map<string, number>): void {
  const [, w, v] = toks;
  if (!w) return r.failEol("'track ADDRESS', 'role active|standby' or 'refresh SECONDS'");
  const word = choice(r, w, HA_WORDS, "'track', 'role' or 'refresh'");
  if (word === undefined) return;
  if (!v) return r.failEol(word === 'track' ? 'an IP address (the VRRP virtual address)' : word === 'role' ? "'active' or 'standby'" : 'seconds (0 = off)');
  if (!r.noMore(toks, 3)) return;
  const key: Tok = { ...toks[0]!, text: `ha ${word}` };
  if (!r.once(seen, key, 'interface')) return;
  const ha = (cfg.ha ??= newHaConfig());
  if (word === 'track') {
    const a = address(r, v);
    if (a) ha.track = a;
  } else if (word === 'role') {
    const role = choice(r, v, ['active', 'standby'] as const, "'active' or 'standby'");
    if (role) ha.role = role;
  } else {
    const n = uint(r, v, 0, 'seconds between re-announcements while active (0 = off)');
    if (n !== undefined) ha.refresh = n;
  }
}

/** `table N` (1..2^32-1, not 0) or `vrf NAME`: where `route` rules look targets up. One of the two. */
export function routeTableLine(r: Reporter, toks: Tok[], cfg: InterfaceConfig, seen: Map<string, number>): void {
  const kw = toks[0]!;
  const v = r.oneArg(toks, kw.text === 'table' ? 'a routing table number (1 to 4294967295)' : 'the name of a VRF device');
  if (!v) return;
  const other = kw.text === 'table' ? 'vrf' : 'table';
  if (seen.has(other)) return r.failTok('E_CONFIG_DUPLICATE', kw, `'table' or 'vrf', not both (first '${other}' at line ${seen.get(other)})`);
  if (!r.once(seen, kw, 'interface')) return;
  if (kw.text === 'vrf') {
    if (v.text.length > 15) return r.failTok('E_CONFIG_VALUE', v, 'a VRF device name of at most 15 bytes');
    cfg.routeVrf = v.text;
    return;
  }
  const n = uint(r, v, 1, 'a routing table number');
  if (n === undefined) return;
  if (n > 0xffffffff) return r.failTok('E_CONFIG_VALUE', v, 'a routing table number (1 to 4294967295)');
  cfg.routeTable = n;
}
