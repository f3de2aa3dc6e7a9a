// Warm restarts: the learned cache saved to the state file (state-file.ts) at stop and on
// `ctl save`, read back at start with the lifetimes left, so `tell` answers at once after
// an upgrade instead of waiting for every host to speak again. Expiries are stored against
// the wall clock (the policy's clock is monotonic and restarts with the process) and
// converted back on load; entries already expired are dropped, the rest pass the learning
// checks again (src/policy/warm.ts). A file that cannot be trusted is logged and ignored.
import { accessSync, constants, existsSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Family, type Ip6 } from '../net/addr';
import type { Config } from '../config/types';
import type { ProbeImportResult, ProbeRecord } from '../policy/probe';
import type { ImportResult, LearnedEntry } from '../policy/warm';
import type { Logger } from './log';
import { decodeState, encodeState, readStateFile, StateFileError, writeFileAtomic } from './state-file';
import { decodeEntrySection, encodeEntrySection, type Refuse } from './state-section';
import { decodeProbes, encodeProbes, PROBES_SECTION } from './warm-probes';

/** The section of the learned cache. Probe caches add their own sections beside it. */
export const LEARNED_SECTION = 'learned';
/** Bytes per learned entry (see encodeLearned). */
const ENTRY = 40;
/** More entries than the largest cache (config tablesize limit) means a foreign file. */
const MAX_ENTRIES = 16_777_216;
const TWO32 = 0x1_0000_0000;

/** The default state directory: systemd's StateDirectory= ($STATE_DIRECTORY), else /var/lib/neighproxy. */
export function defaultStateFile(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.STATE_DIRECTORY?.split(':')[0] || '/var/lib/neighproxy';
  return join(dir, 'cache.state');
}

/**
 * The state file a configuration asks for: its `cache` block's `state-file`, `none` = off
 * (null); unset = the default, used only when its directory exists (the unit's
 * StateDirectory= makes it), so a daemon run by hand leaves nothing behind.
 */
export function stateFileOf(config: Config, env: NodeJS.ProcessEnv = process.env): string | null {
  const set = config.cache.stateFile;
  if (set === null) return null;
  if (set !== undefined) return set;
  const def = defaultStateFile(env);
  return existsSync(join(def, '..')) ? def : null;
}

/**
 * Learned section: u16 entry bytes (40), u16 interface-name count, the names (u8 length,
 * UTF-8), u32 entry count, then per entry: u16 name index, i16 VLAN (-1 untagged), u8
 * family (4 or 6), 3 zero bytes, the address (16 bytes, IPv4 in the first 4), the MAC (6),
 * 2 zero bytes, f64 expiry in wall-clock seconds.
 */
export function encodeLearned(entries: readonly LearnedEntry[], now: number, wallNow: number): Uint8Array {
  return encodeEntrySection(ENTRY, entries, (e) => e.interface, (b, o, e, nameIndex) => {
    b.writeUInt16LE(nameIndex, o);
    b.writeInt16LE(e.vlan, o + 2);
    b.writeUInt8(e.address.family === Family.V6 ? 6 : 4, o + 4);
    if (e.address.family === Family.V6) for (let w = 0; w < 4; w++) b.writeUInt32BE(e.address.v6[w]! >>> 0, o + 8 + 4 * w);
    else b.writeUInt32BE(e.address.v4 >>> 0, o + 8);
    b.writeUInt16BE(Math.floor(e.mac / TWO32), o + 24);
    b.writeUInt32BE(e.mac % TWO32, o + 26);
    b.writeDoubleLE(wallNow + (e.expires - now), o + 32);
  });
}

/** Decodes a learned section, expiries back on the policy clock. Throws StateFileError('malformed') on any bad field. */
export function decodeLearned(body: Uint8Array, now: number, wallNow: number): LearnedEntry[] {
  return decodeEntrySection(body, 'learned', ENTRY, MAX_ENTRIES, (b, o, names, bad) => learnedAt(b, o, names, now, wallNow, bad));
}

function learnedAt(b: Buffer, o: number, names: readonly string[], now: number, wallNow: number, bad: Refuse): LearnedEntry {
  const ni = b.readUInt16LE(o);
  if (ni >= names.length) bad(`entry names interface #${ni} of ${names.length}`);
  const vlan = b.readInt16LE(o + 2);
  if (vlan < -1 || vlan > 4095) bad(`VLAN ${vlan}`);
  const fam = b[o + 4]!;
  if (fam !== 4 && fam !== 6) bad(`address family ${fam}`);
  if (b[o + 5] || b[o + 6] || b[o + 7] || b[o + 30] || b[o + 31]) bad('non-zero padding');
  if (fam === 4 && (b.readUInt32BE(o + 12) || b.readUInt32BE(o + 16) || b.readUInt32BE(o + 20))) bad('IPv4 entry with IPv6 address bytes');
  const wallExp = b.readDoubleLE(o + 32);
  if (!Number.isFinite(wallExp)) bad(`expiry ${wallExp}`);
  const address = fam === 6
    ? { family: Family.V6 as const, v6: Uint32Array.from([0, 1, 2, 3], (w) => b.readUInt32BE(o + 8 + 4 * w)) as Ip6 }
    : { family: Family.V4 as const, v4: b.readUInt32BE(o + 8) };
  const mac = b.readUInt16BE(o + 24) * TWO32 + b.readUInt32BE(o + 26);
  return { interface: names[ni]!, vlan, address, mac, expires: now + (wallExp - wallNow) };
}

/** What the daemon's policy offers for warm restarts (DaemonPolicy implements it). */
export interface WarmPolicy {
  exportLearned?(now: number): LearnedEntry[];
  importLearned?(config: Config, entries: readonly LearnedEntry[], now: number): ImportResult;
  /** The `probe` rules' alive and absent tables (src/policy/probe.ts), their own section. */
  probes?: {
    exportEntries?(now: number): ProbeRecord[];
    importEntries?(records: readonly ProbeRecord[], now: number): ProbeImportResult;
  };
}

export interface SaveResult {
  file: string;
  entries: number;
  /** Probe cache entries (alive and absent) written in their own section. */
  probes: number;
  bytes: number;
}

/** Writes the learned cache to `file` atomically. Throws (fs errors with .code). */
export function saveState(file: string, policy: WarmPolicy, now: number, wallNow = Date.now() / 1000): SaveResult {
  const entries = policy.exportLearned?.(now) ?? [];
  const sections = new Map([[LEARNED_SECTION, encodeLearned(entries, now, wallNow)]]);
  const probes = policy.probes?.exportEntries?.(now) ?? [];
  if (probes.length > 0) sections.set(PROBES_SECTION, encodeProbes(probes, wallNow));
  const image = encodeState(sections, wallNow);
  writeFileAtomic(file, image);
  return { file, entries: entries.length, probes: probes.length, bytes: image.length };
}

/**
 * Reads `file` and gives its learned entries back to the policy. Never throws: a missing
 * file is noted, a file that cannot be trusted is logged with the reason and ignored.
 */
export function loadState(file: string, policy: WarmPolicy, config: Config, now: number, log: Logger, wallNow = Date.now() / 1000): ImportResult | null {
  let learned: LearnedEntry[];
  let probesBody: Uint8Array | undefined;
  try {
    const image = readStateFile(file);
    if (image === null) {
      log.info({ event: 'state_absent', file }, 'no state file: the cache starts empty');
      return null;
    }
    const contents = decodeState(image);
    const body = contents.sections.get(LEARNED_SECTION);
    learned = body ? decodeLearned(body, now, wallNow) : [];
    probesBody = contents.sections.get(PROBES_SECTION);
  } catch (err) {
    const e = err as Error & { code?: string; reason?: string };
    const reason = err instanceof StateFileError ? e.reason : (e.code ?? 'EIO');
    log.error({ event: 'state_ignored', file, reason }, `state file ignored (${reason}): ${e.message}; the cache starts empty`);
    return null;
  }
  const res = policy.importLearned?.(config, learned, now) ?? { imported: 0, refused: {} };
  log.info({ event: 'state_loaded', file, entries: learned.length, imported: res.imported, refused: res.refused }, `state file read: ${res.imported} of ${learned.length} learned entries taken back`);
  if (probesBody) loadProbes(file, probesBody, policy, now, log, wallNow);
  return res;
}

/**
 * The probes section, on its own: the file's checksum vouched for its bytes, so a section
 * whose fields do not decode (another writer's bug) is logged and ignored alone, and the
 * learned entries already taken back stay.
 */
function loadProbes(file: string, body: Uint8Array, policy: WarmPolicy, now: number, log: Logger, wallNow: number): void {
  let records: ProbeRecord[];
  try {
    records = decodeProbes(body, wallNow);
  } catch (err) {
    const e = err as Error & { reason?: string };
    log.error({ event: 'state_section_ignored', file, section: PROBES_SECTION, reason: e.reason ?? 'malformed' }, `state file: ${e.message}; the probe caches start empty`);
    return;
  }
  const res = policy.probes?.importEntries?.(records, now) ?? { imported: 0, refused: {} };
  log.info({ event: 'state_probes_loaded', file, entries: records.length, imported: res.imported, refused: res.refused }, `state file read: ${res.imported} of ${records.length} probe cache entries taken back`);
}

/** Temporary files of a save cut short (a stop past its deadline, a crash): `FILE.PID.tmp`. */
function removeStaleTemporaries(file: string): void {
  const base = basename(file);
  try {
    for (const n of readdirSync(dirname(file))) {
      if (n.startsWith(`${base}.`) && /^\d+\.tmp$/.test(n.slice(base.length + 1))) rmSync(join(dirname(file), n), { force: true });
    }
  } catch {
    // An unreadable directory: the save at stop says so.
  }
}

/**
 * The daemon's side: read at start, save at stop and on `ctl save`. Saving is armed only
 * once the start read ran, so a start that fails early never overwrites a good file with
 * an empty cache.
 */
export class WarmRestarts {
  private armed = false;
  /** False in a `workers N` worker: the main thread saves every worker's entries, once. */
  saves = true;
  /** False in a `workers N` worker: the main thread reads the file and hands each worker its share. */
  loads = true;

  constructor(private readonly log: Logger, private readonly env: NodeJS.ProcessEnv = process.env) {}

  /** The file the configuration names, or null (off). */
  fileOf(config: Config): string | null {
    return stateFileOf(config, this.env);
  }

  /** At start, before the first frame is handled. */
  load(config: Config, policy: WarmPolicy, now: number): ImportResult | null {
    this.armed = true;
    const file = this.fileOf(config);
    if (file === null || !this.loads) return null;
    removeStaleTemporaries(file);
    return loadState(file, policy, config, now, this.log);
  }

  /**
   * After the privilege drop: warns when the state file's directory is not writable (the
   * write at stop would fail; the unit's StateDirectory= gives the service user its own).
   */
  checkWritable(config: Config): void {
    const file = this.fileOf(config);
    if (file === null) return;
    try {
      accessSync(dirname(file), constants.W_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
      this.log.warn({ event: 'state_unwritable', file, code }, `${dirname(file)} is not writable (${code}): the learned cache cannot be saved at stop; make the directory the daemon user's, or set 'state-file' in the cache block`);
    }
  }

  /** `ctl save`: throws ControlError-like errors with a code when there is no file or the write fails. */
  save(config: Config, policy: WarmPolicy, now: number): SaveResult {
    const file = this.fileOf(config);
    if (file === null) throw Object.assign(new Error("no state file: the cache block says 'state-file none', or the default directory does not exist"), { code: 'E_NO_STATE_FILE' });
    const res = saveState(file, policy, now);
    this.log.info({ event: 'state_saved', ...res }, `learned cache saved: ${res.entries} entries, ${res.probes} probe cache entries`);
    return res;
  }

  /** At stop; a failure is logged (the daemon stops anyway). */
  saveOnStop(config: Config | null, policy: WarmPolicy | null, now: number): void {
    if (!this.saves || !this.armed || !config || !policy || this.fileOf(config) === null) return;
    this.armed = false;
    try {
      this.save(config, policy, now);
    } catch (err) {
      const e = err as Error & { code?: string };
      this.log.error({ event: 'state_save_failed', code: e.code }, `cannot save the learned cache: ${e.message}`);
    }
  }
}
