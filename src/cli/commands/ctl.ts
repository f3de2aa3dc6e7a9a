import { parseArgs } from 'node:util';
import { UsageError, type Command } from '../command';
import { DEFAULT_CONTROL } from '../../daemon/args';
import { controlRequest, type ControlRequest } from '../../daemon/control';

const USAGE = `usage: neighproxy ctl [--control PATH] [--json] COMMAND

Talks to a running daemon over its control socket (JSON lines, see docs/daemon.md).

commands:
  show cache                    learned entries (interface, VLAN, address, MAC, state)
  show rules                    the rules in force (after the last successful reload)
  show stats                    counters per interface
  add ADDRESS MAC [--announce] [--interface IF]
                                answer ADDRESS with MAC from now on (kept across reloads,
                                gone at restart); --announce sends gratuitous ARP /
                                unsolicited NA
  del ADDRESS [--interface IF]  remove a static entry

options:
  --control PATH   socket of the daemon (default ${DEFAULT_CONTROL})
  --json           print the daemon's response line as it is
`;

export const command: Command = {
  summary: 'query or change a running daemon (show cache|rules|stats, add, del)',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          control: { type: 'string' },
          json: { type: 'boolean' },
          announce: { type: 'boolean' },
          interface: { type: 'string' },
        },
      });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const { values, positionals } = parsed;
    const [verb, ...args] = positionals;
    let req: ControlRequest;
    if (verb === 'show' && args.length === 1 && (args[0] === 'cache' || args[0] === 'rules' || args[0] === 'stats')) {
      req = { cmd: 'show', what: args[0] };
    } else if (verb === 'add' && args.length === 2) {
      req = { cmd: 'add', address: args[0]!, mac: args[1]!, announce: values.announce ?? false };
      if (values.interface !== undefined) req.interface = values.interface;
    } else if (verb === 'del' && args.length === 1) {
      req = { cmd: 'del', address: args[0]! };
      if (values.interface !== undefined) req.interface = values.interface;
    } else {
      throw new UsageError(`expected 'show cache|rules|stats', 'add ADDRESS MAC' or 'del ADDRESS', found '${positionals.join(' ')}'\n\n${USAGE}`);
    }
    const path = values.control ?? DEFAULT_CONTROL;
    let res: Record<string, unknown>;
    try {
      res = await controlRequest(path, req);
    } catch (err) {
      const e = err as Error & { code?: string };
      const why = e.code === 'ENOENT' || e.code === 'ECONNREFUSED'
        ? `no daemon listening on ${path} (is neighproxy running? its --control path?)`
        : e.code === 'EACCES' ? `${path}: permission denied (the socket is mode 0600: run as the daemon's user or root)` : e.message;
      throw new UsageError(why, 1);
    }
    if (values.json) {
      process.stdout.write(`${JSON.stringify(res)}\n`);
    } else if (res.ok === true) {
      const { ok: _ok, ...rest } = res;
      process.stdout.write(`${JSON.stringify(rest, null, 2)}\n`);
    }
    if (res.ok !== true) {
      const e = (res.error ?? {}) as { code?: string; message?: string };
      if (!values.json) process.stderr.write(`neighproxy ctl: ${e.code ?? 'ERROR'}: ${e.message ?? 'failed'}\n`);
      return 1;
    }
    return 0;
  },
};
