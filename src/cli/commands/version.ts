import type { Command } from '../command';

export const command: Command = {
  summary: 'print the version',
  usage: 'usage: neighproxy version\n\nPrints the package version.',
  async run(): Promise<number> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    process.stdout.write(`neighproxy ${(require('../../../../package.json') as { version: string }).version}\n`);
    return 0;
  },
};
