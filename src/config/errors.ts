// Configuration errors and warnings, formatted the way compilers print them
// (`FILE:LINE:COLUMN: found 'X', expected Y`) so editors can jump to the spot.

export type ConfigErrorCode =
  | 'E_CONFIG_SYNTAX' // the line does not have the shape the keyword requires
  | 'E_CONFIG_VALUE' // the shape is right but a value is out of range or inconsistent
  | 'E_CONFIG_DUPLICATE' // something that may appear once appears again
  | 'E_CONFIG_LIMIT' // legal in the language, but beyond what `run` can hold (src/config/limits.ts)
  | 'E_CONFIG_IO'; // the file could not be read

/** At most this many errors of one file are reported; the rest are counted. */
export const MAX_REPORTED_ERRORS = 20;

/**
 * A configuration that cannot be used. One ConfigError is thrown per file: `.errors`
 * holds every problem found (itself first when there is only one), `.message` has one
 * line per problem. `.code`, `.file`, `.line`, `.column` describe the first problem.
 */
export class ConfigError extends Error {
  readonly code: ConfigErrorCode;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** For E_CONFIG_IO: the operating system's error code (`ENOENT`, `EACCES`...). */
  readonly osCode: string | undefined;
  /** Every problem of the file, in file order (capped at MAX_REPORTED_ERRORS). */
  readonly errors: ConfigError[];
  /** How many problems were found in total (may exceed errors.length). */
  readonly total: number;

  constructor(code: ConfigErrorCode, file: string, line: number, column: number, message: string, osCode?: string) {
    super(message);
    this.name = 'ConfigError';
    this.code = code;
    this.file = file;
    this.line = line;
    this.column = column;
    this.osCode = osCode;
    this.errors = [this];
    this.total = 1;
  }

  /** One error carrying all of `errors` (non-empty), as parseConfig throws it. */
  static aggregate(errors: ConfigError[]): ConfigError {
    const first = errors[0]!;
    if (errors.length === 1) return first;
    const shown = errors.slice(0, MAX_REPORTED_ERRORS);
    const lines = shown.map((e) => e.message);
    if (errors.length > shown.length) {
      lines.push(`${first.file}: ${errors.length - shown.length} more errors not shown (${errors.length} in total)`);
    }
    const agg = new ConfigError(first.code, first.file, first.line, first.column, lines.join('\n'), first.osCode);
    (agg as { errors: ConfigError[] }).errors = shown;
    (agg as { total: number }).total = errors.length;
    return agg;
  }
}

export type ConfigWarningCode =
  | 'W_RULE_SHADOWED' // an earlier rule matches every request this one would
  | 'W_DELAY_UNSET' // a `delay` rule while the cache block sets no `delay N*T`
  | 'W_NO_RULES' // an interface that will never answer
  | 'W_ND_UNUSED' // ND-proxy settings on an interface without IPv6 rules or statics
  | 'W_LEARNING_OFF' // `tell`/redirect rules while `cache timeout 0` disables learning
  | 'W_DUPLICATE_ADDRESS' // the same uplink/exception listed twice
  | 'W_UPLINK_NO_LINK_LOCAL' // uplinks listed, none link-local: most solicitations would be ignored
  | 'W_NO_INTERFACES'; // the file configures no interface: `run` would answer nothing

/** Something legal but probably not what was meant. Never stops the daemon. */
export interface ConfigWarning {
  code: ConfigWarningCode;
  file: string;
  line: number;
  column: number;
  /** `FILE:LINE:COLUMN: warning: TEXT` */
  message: string;
}
