// `neighproxy import-kernel`: print the neighproxy configuration equivalent to the
// kernel's own proxy_arp / proxy_ndp setup (proxy table, sysctls, networkd files).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArgError, helpHint, parseCommandArgs, type ArgSpec } from '../args';
import type { Command } from '../command';
import { printTranslation, processIo, type ImportIo } from '../import-io';
import { STDIN_NAME } from '../input';
import { importKernel, type KernelInputs } from '../../config/kernel-import';

const USAGE = `usage: neighproxy import-kernel [--live] [--neigh FILE] [--sysctl FILE] [--networkd FILE]...

Prints the neighproxy configuration that answers what the kernel answers now:
  --neigh FILE      the output of 'ip -j neigh show proxy' ('-': standard input)
  --sysctl FILE     'sysctl -a' lines (net.ipv4.conf.IF.proxy_arp, .forwarding,
                    net.ipv6.conf.IF.proxy_ndp, .forwarding, ...neigh.IF.proxy_delay)
  --networkd FILE   a systemd-networkd .network file (IPv4ProxyARP=, IPv6ProxyNDP=,
                    IPv6ProxyNDPAddress=, IPForward=); repeatable
  --live            read the proxy table and the sysctls of this machine (a --neigh
                    or --sysctl FILE given too replaces that half)
FILE '-' reads standard input (for one of them).
proxy_arp on IF          -> rule 0.0.0.0/0 0.0.0.0/0 route   (routed out of another interface)
ip neigh proxy A dev IF  -> rule 0.0.0.0/0 A/32 route
ip -6 neigh proxy A ...  -> rule ::/0 A/128 self, router yes, dad defend
A rule the kernel does not apply (forwarding or proxy_ndp off) is written commented
out; what has no equivalent becomes '# note:' comments, also listed on stderr.

exit status: 0 translated, 1 invalid or unreadable input or nothing to import, 2 usage error.`;

type Io = Required<ImportIo>;

/** This machine's proxy sysctls, as `sysctl` prints them. */
function liveSysctls(): string {
  const lines: string[] = [];
  for (const [fam, kind, keys] of [
    ['4', 'conf', ['proxy_arp', 'forwarding', 'proxy_arp_pvlan']],
    ['6', 'conf', ['proxy_ndp', 'forwarding']],
    ['4', 'neigh', ['proxy_delay']],
    ['6', 'neigh', ['proxy_delay']],
  ] as const) {
    const dir = `/proc/sys/net/ipv${fam}/${kind}`;
    for (const name of readdirSync(dir)) {
      for (const key of keys) {
        try {
          lines.push(`net.ipv${fam}.${kind}.${name.replace(/\./g, '/')}.${key} = ${readFileSync(join(dir, name, key), 'utf8').trim()}`);
        } catch {
          // an interface that vanished while we read, or a key this kernel lacks
        }
      }
    }
  }
  return lines.join('\n');
}

export const IMPORT_KERNEL_ARGS: ArgSpec = {
  command: 'import-kernel',
  options: {
    live: { type: 'boolean' },
    neigh: { type: 'string', value: 'FILE' },
    sysctl: { type: 'string', value: 'FILE' },
    networkd: { type: 'string', value: 'FILE', multiple: true },
  },
};

/** The inputs the words name; ArgError for a usage mistake, a read error (with .code) as thrown. */
function gather(argv: string[], io: Io): KernelInputs {
  const { values } = parseCommandArgs(IMPORT_KERNEL_ARGS, argv);
  const files = [values.neigh, values.sysctl, ...((values.networkd as string[] | undefined) ?? [])].filter((f) => f === '-');
  if (files.length > 1) throw new ArgError("standard input ('-') can be one of the files, not several");
  const read = (file: string) => ({ text: io.readFile(file), file: file === '-' ? STDIN_NAME : file });
  const inputs: KernelInputs = { networkd: ((values.networkd as string[] | undefined) ?? []).map(read) };
  if (typeof values.neigh === 'string') inputs.neigh = read(values.neigh);
  if (typeof values.sysctl === 'string') inputs.sysctl = read(values.sysctl);
  if (values.live === true) {
    inputs.sysctl ??= { text: liveSysctls(), file: 'sysctl' };
    inputs.neigh ??= { text: execFileSync('ip', ['-j', 'neigh', 'show', 'proxy'], { encoding: 'utf8' }), file: "'ip -j neigh show proxy'" };
  }
  if (inputs.neigh || inputs.sysctl || inputs.networkd!.length) return inputs;
  throw new ArgError('give --live, or at least one of --neigh, --sysctl, --networkd');
}

export async function runImportKernel(argv: string[], io: Io = processIo): Promise<number> {
  let inputs: KernelInputs;
  try {
    inputs = gather(argv, io);
  } catch (err) {
    if (err instanceof ArgError) {
      io.stderr(`neighproxy import-kernel: ${err.message}\n${helpHint('import-kernel')}\n`);
      return 2;
    }
    const e = err as NodeJS.ErrnoException & { path?: string };
    io.stderr(`neighproxy import-kernel: cannot read ${e.path ?? 'the kernel state'}: ${e.code ?? e.message}\n`);
    return 1;
  }
  return printTranslation('import-kernel', io, () => importKernel(inputs));
}

export const command: Command = {
  summary: "translate the kernel's proxy_arp/proxy_ndp setup (ip neigh proxy, sysctls, networkd) into a configuration",
  usage: USAGE,
  run: (argv) => runImportKernel(argv),
};
