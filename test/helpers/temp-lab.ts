// A Lab and a temporary directory that last as long as one test: the directory (mode 0755:
// a daemon that drops privileges reads its configuration there) holds the configuration,
// the control socket and state files. When the test ends the `cleanup` list runs in
// reverse (close rings, kill the daemon), then the namespaces and the directory go, even
// when the test failed half-way through its setup.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab } from './netns';

export interface TempLab {
  lab: Lab;
  /** Temporary directory for the configuration, the control socket, state files. */
  dir: string;
  /** Run in reverse order at the end, before the namespaces are deleted. */
  cleanup: (() => void)[];
}

/** Registers the teardown with `t.after` (node:test, or a bench's own list) before anything is built. */
export function tempLab(t: { after(fn: () => void): void }, tag: string): TempLab {
  const lab = new Lab(tag);
  const dir = mkdtempSync(join(tmpdir(), `np${tag}-`));
  chmodSync(dir, 0o755);
  const cleanup: (() => void)[] = [];
  t.after(() => {
    for (const f of cleanup.reverse()) f();
    lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  return { lab, dir, cleanup };
}
