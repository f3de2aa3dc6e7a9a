// Command-line entry: `neighproxy COMMAND [options]`.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ArgError, helpHint } from './args';
import { UsageError, type Command } from './command';
import { closest } from './suggest';

const COMMANDS_DIR = join(__dirname, 'commands');

function commandNames(): string[] {
  return readdirSync(COMMANDS_DIR)
    .filter((f) => f.endsWith('.js'))
    .map((f) => f.slice(0, -3))
    .sort();
}

function load(name: string): Command | undefined {
  if (!/^[a-z][a-z0-9-]*$/.test(name) || !commandNames().includes(name)) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(join(COMMANDS_DIR, name)) as { command: Command }).command;
}

function overview(): string {
  const rows = commandNames().map((n) => `  ${n.padEnd(14)} ${load(n)!.summary}`);
  return [
    'usage: neighproxy COMMAND [options]',
    '',
    'Proxy-ARP and IPv6 Neighbor Discovery responder.',
    '',
    'commands:',
    ...rows,
    '',
    "'neighproxy COMMAND --help' explains one command; 'neighproxy help config' the configuration language.",
    '',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    process.stdout.write(overview());
    return 0;
  }
  if (name === '--version' || name === '-V') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    process.stdout.write(`neighproxy ${(require('../../../package.json') as { version: string }).version}\n`);
    return 0;
  }
  const cmd = load(name);
  if (!cmd) {
    const guess = closest(name, commandNames());
    process.stderr.write(`neighproxy: unknown command '${name}'${guess ? ` (did you mean '${guess}'?)` : ''}\n\n${overview()}`);
    return 2;
  }
  const end = rest.indexOf('--');
  const opts = end < 0 ? rest : rest.slice(0, end);
  if (opts.includes('--help') || opts.includes('-h')) {
    process.stdout.write(cmd.usage.endsWith('\n') ? cmd.usage : `${cmd.usage}\n`);
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (err) {
    if (err instanceof ArgError) {
      process.stderr.write(`neighproxy ${name}: ${err.message}\n${helpHint(name)}\n`);
      return 2;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`neighproxy ${name}: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}
