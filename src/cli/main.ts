// Command-line entry: `neighproxy COMMAND [options]`. Each command lives in its own module.
export async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write('usage: neighproxy COMMAND [options]\n');
    return 0;
  }
  process.stderr.write(`neighproxy: unknown command '${command}' (try: neighproxy --help)\n`);
  return 2;
}
