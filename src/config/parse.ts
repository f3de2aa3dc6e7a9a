// Parser for the neighproxy configuration language: parpd's (`cache` block,
// `interface NAME` blocks of `rule SOURCE TARGET [flags] ACTION` lines, `#` comments,
// `end`) extended in the same one-directive-per-line style for IPv6 and ND proxying.
// Every problem is collected (not just the first) so an operator fixes a file in one go.
//
// This file drives the blocks; the words are in lexer.ts and values.ts, the statements
// in cache-block.ts, interface-block.ts, rule.ts and ring.ts, the whole-file checks in
// checks.ts and shadow.ts, and run's limits in limits.ts.
import { readFileSync } from 'node:fs';
import { cacheLine } from './cache-block';
import { limitLine } from './limit';
import { crossChecks } from './checks';
import { linkProbes } from './probe';
import { ConfigError, type ConfigWarning } from './errors';
import { explainIfName } from './ifname';
import { finishInterface, interfaceLine, newDraft, type IfaceDraft } from './interface-block';
import { DEFAULT_CACHE, DEFAULT_HOLD_TIMEOUT, INTERFACE_KEYWORDS, TOP_KEYWORDS, WORKERS_MAX, isOneOf } from './keywords';
import { tokenize, type Tok } from './lexer';
import { MAX_INTERFACES } from './limits';
import { Reporter } from './report';
import { suggest } from './suggest';
import { NaSource, type CacheConfig, type Config, type InterfaceConfig, type LimitSettings } from './types';

export {
  DEFAULT_CACHE, DEFAULT_HOLD_TIMEOUT, CACHE_KEYWORDS, INTERFACE_KEYWORDS, RULE_FLAGS, SIMPLE_ACTIONS, RING_KEYWORDS,
} from './keywords';

type Block =
  | { kind: 'cache'; line: number }
  | { kind: 'interface'; line: number; d: IfaceDraft }
  /** After an unknown top-level word: its lines are skipped up to `end` or the next block, so one typo is one error. */
  | { kind: 'skip'; line: number }
  | null;

class Parser {
  readonly r: Reporter;
  private cache: CacheConfig = {
    timeout: DEFAULT_CACHE.timeout,
    tablesize: DEFAULT_CACHE.tablesize,
    refresh: { ...DEFAULT_CACHE.refresh },
    delay: { ...DEFAULT_CACHE.delay },
    explicit: false,
  };
  private cacheLine = 0;
  private readonly cacheSeen = new Map<string, number>();
  private readonly limits: Partial<LimitSettings> = {};
  private readonly limitSeen = new Map<string, number>();
  private readonly interfaces: InterfaceConfig[] = [];
  private readonly ifaceLines = new Map<string, number>();
  private readonly totals = { statics: 0 };
  private block: Block = null;
  private workers: number | 'auto' | undefined;
  private workersLine = 0;

  constructor(private readonly file: string) {
    this.r = new Reporter(file);
  }

  parse(text: string): Config {
    const r = this.r;
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      r.line = i + 1;
      const { toks, eol } = tokenize(lines[i]!);
      r.eol = eol;
      if (toks.length === 0) continue;
      const b = this.block;
      if (b === null) this.topLevel(toks);
      else if (this.blockEnd(toks)) continue;
      else if (b.kind === 'cache') cacheLine(r, toks, this.cache, this.cacheSeen);
      else if (b.kind === 'interface') interfaceLine(r, toks, b.d);
    }
    if (this.block !== null && this.block.kind !== 'skip') {
      // Point just past the last line, where the `end` is missing.
      r.line = lines.length;
      r.eol = (lines[lines.length - 1] ?? '').length + 1;
      r.fail('E_CONFIG_SYNTAX', r.eol, 'end of file', `'end' closing ${this.blockName()} at line ${this.block.line}`);
    }
    this.closeBlock();
    const config: Config = { file: this.file, cache: this.cache, interfaces: this.interfaces, limits: this.limits };
    if (this.workers !== undefined) config.workers = this.workers;
    crossChecks(r, config);
    linkProbes(r, config);
    return config;
  }

  private blockName(): string {
    const b = this.block!;
    return b.kind === 'interface' ? `'interface ${b.d.cfg.name}'` : "'cache'";
  }

  private topLevel(toks: Tok[]): void {
    const kw = toks[0]!;
    if (kw.text === 'cache') return this.openCache(toks);
    if (kw.text === 'interface') return this.openInterface(toks);
    if (kw.text === 'limit') return limitLine(this.r, toks, this.limits, this.limitSeen, true);
    if (kw.text === 'workers') return this.parseWorkers(toks);
    if (kw.text === 'end') {
      return this.r.failTok('E_CONFIG_SYNTAX', kw, "'cache' or 'interface' ('end' closes a block, and none is open)");
    }
    if (isOneOf(INTERFACE_KEYWORDS, kw.text)) {
      return this.r.failTok('E_CONFIG_SYNTAX', kw, `'cache' or 'interface' ('${kw.text}' belongs inside an 'interface NAME' block)`);
    }
    const meant = suggest(kw.text, TOP_KEYWORDS);
    this.r.failTok('E_CONFIG_SYNTAX', kw, `'cache' or 'interface'${meant ? ` (did you mean '${meant}'?)` : ''}`);
    // Read on as the block that was meant, or skip the unknown one: the lines after a
    // misspelt `interfce` are not each an error of their own.
    if (meant === 'interface') this.openInterface(toks);
    else if (meant === 'cache') this.openCache(toks);
    else if (meant !== 'limit') this.block = { kind: 'skip', line: this.r.line }; // `limit` is one line
  }

  /** `workers N|auto`: 1 to WORKERS_MAX data-path threads, or one per core (capped). */
  private parseWorkers(toks: Tok[]): void {
    const r = this.r;
    const t = toks[1];
    if (this.workersLine) return r.failTok('E_CONFIG_DUPLICATE', toks[0]!, `one 'workers' line (first at line ${this.workersLine})`);
    this.workersLine = r.line;
    if (!t) return r.failEol(`a number of workers (1 to ${WORKERS_MAX}) or 'auto'`);
    if (t.text === 'auto') {
      r.noMore(toks, 2);
      this.workers = 'auto';
      return;
    }
    const n = /^\d+$/.test(t.text) ? Number(t.text) : NaN;
    if (!(n >= 1 && n <= WORKERS_MAX)) return r.failTok(n > WORKERS_MAX ? 'E_CONFIG_LIMIT' : 'E_CONFIG_VALUE', t, `a number of workers (a whole number from 1 to ${WORKERS_MAX}) or 'auto'`);
    r.noMore(toks, 2);
    this.workers = n;
  }

  private openCache(toks: Tok[]): void {
    const r = this.r;
    if (this.cacheLine) {
      r.failTok('E_CONFIG_DUPLICATE', toks[0]!, `one 'cache' block (first at line ${this.cacheLine})`);
    } else {
      this.cacheLine = r.line;
      this.cache.explicit = true;
    }
    r.noMore(toks, 1);
    this.block = { kind: 'cache', line: r.line };
  }

  private openInterface(toks: Tok[]): void {
    const r = this.r;
    const [kw, name] = toks as [Tok, Tok | undefined];
    const cfg: InterfaceConfig = {
      pos: r.pos(kw.col),
      name: name?.text ?? '',
      timeout: DEFAULT_HOLD_TIMEOUT,
      vlans: null,
      promisc: false,
      allmulti: false,
      mac: null,
      rules: [],
      statics: [],
      nd: { uplinks: [], exceptions: [], router: false, override: false, dadDefend: false, naSource: NaSource.LinkLocal },
    };
    const d = newDraft(cfg, this.totals);
    d.kept = false;
    this.block = { kind: 'interface', line: r.line, d };
    if (!name) return r.failEol('an interface name');
    const bad = explainIfName(name.text);
    if (bad) return r.failTok(bad.startsWith('an interface name (') ? 'E_CONFIG_VALUE' : 'E_CONFIG_LIMIT', name, bad);
    r.noMore(toks, 2);
    const first = this.ifaceLines.get(name.text);
    if (first !== undefined) {
      // The block is read (and checked) but not kept.
      return r.failTok('E_CONFIG_DUPLICATE', name, `each interface once (first 'interface ${name.text}' at line ${first})`);
    }
    if (this.interfaces.length === MAX_INTERFACES) {
      r.failTok('E_CONFIG_LIMIT', name, `at most ${MAX_INTERFACES} interfaces (the cache and static keys hold the interface in 18 bits)`);
    }
    d.kept = true;
    this.ifaceLines.set(name.text, r.line);
    this.interfaces.push(cfg);
  }

  /** Handles `end`, and a block keyword where `end` was forgotten. Returns true when consumed. */
  private blockEnd(toks: Tok[]): boolean {
    const kw = toks[0]!;
    if (kw.text === 'end') {
      this.r.noMore(toks, 1);
      this.closeBlock();
      return true;
    }
    if (kw.text === 'interface' || kw.text === 'cache') {
      if (this.block?.kind !== 'skip') {
        this.r.failTok('E_CONFIG_SYNTAX', kw, `'end' closing ${this.blockName()} at line ${this.block!.line}`);
      }
      this.closeBlock();
      this.topLevel(toks);
      return true;
    }
    return this.block?.kind === 'skip';
  }

  private closeBlock(): void {
    const b = this.block;
    this.block = null;
    if (b?.kind === 'interface') finishInterface(this.r, b.d);
  }
}

/**
 * Parses configuration text. `file` names it in messages. Throws one ConfigError
 * (with `.errors`, every problem) when anything is wrong; warnings never throw.
 */
export function parseConfig(text: string, file: string): { config: Config; warnings: ConfigWarning[] } {
  const p = new Parser(file);
  const config = p.parse(text);
  if (p.r.errors.length) throw ConfigError.aggregate(p.r.errors);
  p.r.warnings.sort((a, b) => a.line - b.line || a.column - b.column);
  return { config, warnings: p.r.warnings };
}

/** Reads and parses a file; an unreadable file is E_CONFIG_IO with `.osCode` = errno name. */
export function loadConfig(path: string): { config: Config; warnings: ConfigWarning[] } {
  return parseConfig(readConfigText(path), path);
}

/** The text of a configuration file; an unreadable file is E_CONFIG_IO (as loadConfig). */
export function readConfigText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const os = e.code ?? 'EIO';
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EISDIR' ? 'is a directory' : e.message;
    throw new ConfigError('E_CONFIG_IO', path, 0, 0, `${path}: cannot read configuration: ${os} (${why})`, os);
  }
}
