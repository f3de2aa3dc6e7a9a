// `table N` for `route` rules. The kernel has no "RTM_GETROUTE in table N" (RTA_TABLE in a
// request is ignored; RTM_F_LOOKUP_TABLE only reports the table), but a lookup carries a
// fwmark (RTA_MARK) and FIB rules select tables by fwmark. So for each table the daemon adds
// two rules that only its own lookups can match, for IPv4 and IPv6:
//   pref 1  fwmark MARK lookup N       (after the local table's pref 0, before anything else)
//   pref 2  fwmark MARK unreachable    (a target N has no route for is not looked up elsewhere)
// MARK = TABLE_MARK_BASE + the table's index (1, 2...): no real packet carries it. The rules
// are removed at stop; left behind by a crash they match nothing, and are taken over (EEXIST).
import { Family } from '../net/addr';
import * as C from './constants';
import { buildMessage, u32Bytes } from './message';
import type { NetlinkError, NetlinkSocket } from './socket';

export const TABLE_MARK_BASE = 0x4e500000;
export const TABLE_RULE_PREF = 1;

/** RTM_NEWRULE / RTM_DELRULE: fwmark `mark` -> table `table` (or unreachable when table is 0). */
export function buildTableRule(type: number, seq: number, family: Family, mark: number, table: number, pref: number): Uint8Array {
  const fixed = new Uint8Array(12);
  fixed[0] = family === Family.V4 ? C.AF_INET : C.AF_INET6;
  fixed[4] = table > 0 && table < 256 ? table : 0; // rtm_table-style: the full number goes in FRA_TABLE
  fixed[7] = table > 0 ? C.FR_ACT_TO_TBL : C.FR_ACT_UNREACHABLE;
  const attrs: [number, Uint8Array][] = [[C.FRA_PRIORITY, u32Bytes(pref)], [C.FRA_FWMARK, u32Bytes(mark)], [C.FRA_FWMASK, u32Bytes(0xffffffff)]];
  if (table > 0) attrs.push([C.FRA_TABLE, u32Bytes(table)]);
  const flags = C.NLM_F_REQUEST | C.NLM_F_ACK | (type === C.RTM_NEWRULE ? C.NLM_F_CREATE | C.NLM_F_EXCL : 0);
  return buildMessage(type, flags, seq, fixed, attrs);
}

export class TableRules {
  /** Table number -> index (its mark is TABLE_MARK_BASE + index). */
  private readonly index = new Map<number, number>();
  readonly counts = { installed: 0, failed: 0 };

  /** The route-cache scope of table N: -(index), 0 when N has no rule (not asked for). */
  scope(table: number): number {
    const i = this.index.get(table);
    return i === undefined ? 0 : -i;
  }

  /** The mark for a negative scope. */
  static markOf(scope: number): number {
    return TABLE_MARK_BASE - scope;
  }

  /** Makes the rules match `tables` (start, reload): adds the new, removes the gone. */
  async apply(sock: NetlinkSocket, tables: readonly number[]): Promise<void> {
    const want = new Set(tables);
    for (const [table, i] of [...this.index]) {
      if (want.has(table)) continue;
      this.index.delete(table);
      await this.rules(sock, C.RTM_DELRULE, TABLE_MARK_BASE + i, table).catch(() => {});
    }
    for (const table of want) {
      if (this.index.has(table)) continue;
      let i = 1;
      while ([...this.index.values()].includes(i)) i++;
      this.index.set(table, i);
      try {
        await this.rules(sock, C.RTM_NEWRULE, TABLE_MARK_BASE + i, table);
        this.counts.installed++;
      } catch (err) {
        this.counts.failed++;
        throw err;
      }
    }
  }

  /** Removes every rule (stop). */
  removeAll(sock: NetlinkSocket): Promise<unknown> {
    const all = [...this.index].map(([table, i]) => this.rules(sock, C.RTM_DELRULE, TABLE_MARK_BASE + i, table).catch(() => {}));
    this.index.clear();
    return Promise.all(all);
  }

  private async rules(sock: NetlinkSocket, type: number, mark: number, table: number): Promise<void> {
    for (const family of [Family.V4, Family.V6]) {
      for (const [t, pref] of [[table, TABLE_RULE_PREF], [0, TABLE_RULE_PREF + 1]] as const) {
        try {
          await sock.request(type === C.RTM_NEWRULE ? 'add table rule' : 'delete table rule', (seq) => buildTableRule(type, seq, family, mark, t, pref));
        } catch (err) {
          // Left by an earlier run (the same mark means the same rule) or already gone.
          const code = (err as NetlinkError).code;
          if (!(type === C.RTM_NEWRULE && code === 'EEXIST') && !(type === C.RTM_DELRULE && code === 'ENOENT')) throw err;
        }
      }
    }
  }
}
