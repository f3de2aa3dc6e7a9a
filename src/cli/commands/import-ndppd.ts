// `neighproxy import-ndppd FILE`: print the neighproxy configuration equivalent to an
// ndppd.conf; what has no equivalent is written as `#` comments and noted on stderr.
import { ArgError, helpHint, parseCommandArgs, type ArgSpec } from '../args';
import type { Command } from '../command';
import { printTranslation, processIo, readInput, type ImportIo } from '../import-io';
import { STDIN_NAME } from '../input';
import { importNdppd } from '../../config/ndppd';

const USAGE = `usage: neighproxy import-ndppd FILE

Reads an ndppd.conf and prints the equivalent neighproxy configuration on
stdout (redirect it to a file, then 'neighproxy check --config' it).
  proxy IF { ... }        -> interface IF (allmulti yes)
  rule PREFIX { static }  -> rule ::/0 PREFIX self   (answer at once with our MAC)
  rule PREFIX { auto }    -> rule ::/0 PREFIX route  (answer when the kernel routes
                             the target out of another interface)
  rule PREFIX { iface X } -> rule ::/0 PREFIX route  (ndppd first asked on X and
                             answered only if X replied; neighproxy does not ask)
  router yes|no           -> router yes|no
  timeout MS              -> interface timeout (seconds)
  ttl MS                  -> cache timeout (seconds, the longest of all proxies)
  keepalive, retries      -> cache refresh RETRIES*TIMEOUT (0*... without keepalive)
  promiscuous yes|no      -> promisc yes|no
Settings without an equivalent (route-ttl, address-ttl, autowire, autovia,
deadtime) become '# note:' comments and are listed on stderr.
FILE '-' reads standard input.

exit status: 0 translated, 1 invalid or unreadable input, 2 usage error.`;

type Io = ImportIo;

export const IMPORT_NDPPD_ARGS: ArgSpec = { command: 'import-ndppd', options: {}, positionals: ['FILE'] };

export async function runImportNdppd(argv: string[], io: Io = processIo): Promise<number> {
  let file: string | undefined;
  try {
    file = parseCommandArgs(IMPORT_NDPPD_ARGS, argv).positionals[0];
    if (file === undefined) throw new ArgError('which file? expected FILE, or - for standard input');
  } catch (err) {
    if (!(err instanceof ArgError)) throw err;
    io.stderr(`neighproxy import-ndppd: ${err.message}\n${helpHint('import-ndppd')}\n`);
    return 2;
  }
  const name = file === '-' ? STDIN_NAME : file;
  let text: string;
  try {
    text = (io.readFile ?? readInput)(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    io.stderr(`${name}: cannot read ndppd configuration: ${code}\n`);
    return 1;
  }
  return printTranslation('import-ndppd', io, () => importNdppd(text, name));
}

export const command: Command = {
  summary: 'translate an ndppd.conf into a neighproxy configuration',
  usage: USAGE,
  run: (argv) => runImportNdppd(argv),
};
