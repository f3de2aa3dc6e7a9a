// Configuration from a path or, for `-`, from standard input (`... | neighproxy check -`).
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/errors';
import { loadConfig, parseConfig } from '../config/parse';
import type { Config } from '../config/types';

/** What messages call standard input (`<stdin>:3:2: found ...`). */
export const STDIN_NAME = '<stdin>';

export function loadConfigArg(path: string, readStdin: () => string = () => readFileSync(0, 'utf8')): ReturnType<typeof loadConfig> {
  if (path !== '-') return loadConfig(path);
  let text: string;
  try {
    text = readStdin();
  } catch (err) {
    const os = (err as NodeJS.ErrnoException).code ?? 'EIO';
    throw new ConfigError('E_CONFIG_IO', STDIN_NAME, 0, 0, `${STDIN_NAME}: cannot read configuration: ${os}`, os);
  }
  return parseConfig(text, STDIN_NAME);
}

export type { Config };
