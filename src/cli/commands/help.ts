// `neighproxy help [TOPIC]`: topics are 'config' (the language reference) and every
// command ('help COMMAND' prints exactly what 'COMMAND --help' prints).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '../command';
import { CONFIG_REFERENCE } from '../../config/reference';

interface HelpIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processIo: HelpIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

function commandNames(): string[] {
  return readdirSync(__dirname)
    .filter((f) => f.endsWith('.js'))
    .map((f) => f.slice(0, -3))
    .sort();
}

function loadCommand(name: string): Command | undefined {
  if (!/^[a-z][a-z0-9-]*$/.test(name) || !commandNames().includes(name)) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(join(__dirname, name)) as { command: Command }).command;
}

const withNl = (s: string): string => (s.endsWith('\n') ? s : `${s}\n`);

function topics(): string {
  const rows = [`  ${'config'.padEnd(14)} the configuration language`];
  for (const n of commandNames()) rows.push(`  ${n.padEnd(14)} ${loadCommand(n)!.summary}`);
  return ['usage: neighproxy help TOPIC', '', 'topics:', ...rows, ''].join('\n');
}

export async function runHelp(argv: string[], io: HelpIo = processIo): Promise<number> {
  const [topic, ...extra] = argv;
  if (extra.length) {
    io.stderr(`neighproxy help: one topic at a time\n\n${topics()}`);
    return 2;
  }
  if (topic === undefined) {
    io.stdout(topics());
    return 0;
  }
  if (topic === 'config') {
    io.stdout(CONFIG_REFERENCE);
    return 0;
  }
  const cmd = loadCommand(topic);
  if (!cmd) {
    io.stderr(`neighproxy help: no topic '${topic}'\n\n${topics()}`);
    return 2;
  }
  io.stdout(withNl(cmd.usage));
  return 0;
}

export const command: Command = {
  summary: "explain a command, or the configuration language ('help config')",
  usage: "usage: neighproxy help [TOPIC]\n\nWithout TOPIC, lists the topics. 'help config' prints the configuration\nlanguage reference; 'help COMMAND' prints the same text as 'COMMAND --help'.",
  run: (argv) => runHelp(argv),
};
