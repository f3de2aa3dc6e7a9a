// A `neighproxy` subcommand. Each lives in src/cli/commands/NAME.ts and exports
// `command: Command`; main.ts finds them by file name, so adding one touches no other file.
export interface Command {
  /** One line for `neighproxy --help`. */
  summary: string;
  /** Full usage text for `neighproxy NAME --help`. */
  usage: string;
  /** Runs the command; resolves to the process exit code. */
  run(argv: string[]): Promise<number>;
}

/** An error the CLI prints as `neighproxy: MESSAGE` and exits with `exitCode`. */
export class UsageError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = 'UsageError';
    this.exitCode = exitCode;
  }
}
