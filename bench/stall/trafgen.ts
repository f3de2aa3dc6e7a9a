// trafgen (Debian netsniff-ng) as a second, independent generator: its configuration
// lists every distinct request as one packet, sent round-robin, so no checksum needs
// to be recomputed by trafgen itself.

/** A trafgen packet configuration with one `{ ... }` block per frame. */
export function trafgenConfig(frames: Uint8Array[]): string {
  return frames.map((f) => `{ ${Array.from(f, (b) => `0x${b.toString(16).padStart(2, '0')}`).join(', ')} }`).join('\n') + '\n';
}

/** Arguments of `trafgen` for `count` frames at `rate` per second (0: as fast as it goes, TX_RING mode). */
export function trafgenArgs(cfg: string, ifname: string, count: number, rate: number): string[] {
  const args = ['-i', cfg, '-o', ifname, '-n', String(count), '-q', '--cpus', '1'];
  if (rate > 0) args.push('-b', `${rate}pps`);
  return args;
}
