// PACKET_FANOUT's argument for Ring.open: group id, mode and flags in one word, and for
// mode 'cbpf' the program (PACKET_FANOUT_DATA) that picks the member of the group.
import { packFilter } from './filters';
import type { BpfProgram } from './types';

export type FanoutMode = 'hash' | 'lb' | 'cpu' | 'rollover' | 'rnd' | 'qm' | 'cbpf';
const FANOUT_MODES: Record<FanoutMode, number> = { hash: 0, lb: 1, cpu: 2, rollover: 3, rnd: 4, qm: 5, cbpf: 6 };

export interface FanoutOptions {
  /** Fanout group id, 0..65535; sockets with the same id (and mode) share the load. */
  group: number;
  mode: FanoutMode;
  /** PACKET_FANOUT_FLAG_ROLLOVER: move to another socket when this one's ring is full. */
  rollover?: boolean;
  /** PACKET_FANOUT_FLAG_DEFRAG. */
  defrag?: boolean;
  /**
   * PACKET_FANOUT_FLAG_IGNORE_OUTGOING: the group never sees our own replies. A group has
   * one packet hook of its own, so the socket's PACKET_IGNORE_OUTGOING does not apply.
   */
  ignoreOutgoing?: boolean;
  /** Mode 'cbpf' (required there): the program whose return value modulo the group size picks the member (PACKET_FANOUT_DATA). */
  program?: BpfProgram;
}

type IntCheck = (name: string, v: unknown, min: number, max: number) => number;
type BoolCheck = (name: string, v: unknown) => boolean;

/** Validates fanout options; `fanout` is 0 and `fanoutProgram` undefined without them. */
export function packFanout(f: FanoutOptions | undefined, int: IntCheck, bool: BoolCheck): { fanout: number; fanoutProgram: Uint32Array | undefined } {
  if (f === undefined) return { fanout: 0, fanoutProgram: undefined };
  const group = int('fanout.group', f.group, 0, 65535);
  const mode = FANOUT_MODES[f.mode];
  if (mode === undefined) throw new TypeError(`Expected fanout.mode one of ${Object.keys(FANOUT_MODES).join(', ')} but received ${String(f.mode)}`);
  const flags = (bool('fanout.rollover', f.rollover) ? 0x1000 : 0) | (bool('fanout.defrag', f.defrag) ? 0x8000 : 0)
    | (bool('fanout.ignoreOutgoing', f.ignoreOutgoing) ? 0x4000 : 0);
  if ((f.mode === 'cbpf') !== (f.program !== undefined)) throw new TypeError(`Expected fanout.program exactly when fanout.mode is 'cbpf' (mode ${f.mode})`);
  return { fanout: (group | ((mode | flags) << 16)) >>> 0, fanoutProgram: f.program === undefined ? undefined : packFilter(f.program) };
}
