// `neighproxy ctl`: the control socket's client. Tables for people by default, the
// daemon's JSON with -j/--json (as `ip -j` does).
import { ArgError, parseCommandArgs, type ArgSpec } from '../args';
import { UsageError, type Command } from '../command';
import { renderCache, renderRules, renderStats } from '../tables';
import { DEFAULT_CONTROL } from '../../daemon/args';
import { controlRequest, type ControlRequest } from '../../daemon/control';

const USAGE = `usage: neighproxy ctl [--control PATH] [-j] COMMAND

Talks to a running daemon over its control socket (JSON lines, see docs/daemon.md).

commands:
  show cache                    learned entries (address, interface, VLAN, MAC, state;
                                '-' for untagged and for a MAC still being resolved)
  show rules                    the rules in force (after the last successful reload)
  show stats                    counters per interface
  add ADDRESS MAC [--announce] [-i IF]
                                answer ADDRESS with MAC from now on (kept across reloads,
                                gone at restart); --announce sends gratuitous ARP /
                                unsolicited NA. ADDRESS and MAC are checked as the
                                configuration's 'static' checks them.
  del ADDRESS [-i IF]           remove a static entry (one from the file returns at the
                                next reload)
  save                          write the learned cache to the state file now (as at
                                stop; the cache block's 'state-file')
  role active|standby|auto [IF] HA role (a keepalived notify script): standby answers
                                and announces nothing; active takes over (announces);
                                auto returns to the file's 'ha track'/'ha role'.
                                Without IF: every interface

options:
      --control PATH   socket of the daemon (default ${DEFAULT_CONTROL})
  -j, --json           print the daemon's response line as it is
  -i, --interface IF   the interface of add/del (needed when several are configured)
`;

export const CTL_ARGS: ArgSpec = {
  command: 'ctl',
  options: {
    control: { type: 'string', value: 'PATH' },
    json: { type: 'boolean', short: 'j' },
    announce: { type: 'boolean' },
    interface: { type: 'string', short: 'i', value: 'IF' },
  },
  positionals: ['COMMAND', 'ARGUMENTS'],
  restPositionals: true,
};

/** The request for a command line; throws ArgError naming what was expected. */
export function ctlRequest(argv: string[]): { req: ControlRequest; control: string; json: boolean } {
  const { values, positionals } = parseCommandArgs(CTL_ARGS, argv);
  const [verb, ...args] = positionals;
  const iface = values.interface as string | undefined;
  let req: ControlRequest;
  if (verb === 'show' && args.length === 1 && (args[0] === 'cache' || args[0] === 'rules' || args[0] === 'stats')) {
    req = { cmd: 'show', what: args[0] };
  } else if (verb === 'add' && args.length === 2) {
    req = { cmd: 'add', address: args[0]!, mac: args[1]!, announce: values.announce === true };
    if (iface !== undefined) req.interface = iface;
  } else if (verb === 'del' && args.length === 1) {
    req = { cmd: 'del', address: args[0]! };
    if (iface !== undefined) req.interface = iface;
  } else if (verb === 'save' && args.length === 0) {
    req = { cmd: 'save' };
  } else if (verb === 'role' && (args.length === 1 || args.length === 2) && (args[0] === 'active' || args[0] === 'standby' || args[0] === 'auto')) {
    req = { cmd: 'role', role: args[0] };
    const name = args[1] ?? iface;
    if (name !== undefined) req.interface = name;
  } else {
    const found = positionals.length === 0 ? 'nothing' : `'${positionals.join(' ')}'`;
    throw new ArgError(`expected 'show cache|rules|stats', 'add ADDRESS MAC', 'del ADDRESS', 'save' or 'role active|standby|auto [IF]', found ${found}`);
  }
  if (values.announce === true && req.cmd !== 'add') throw new ArgError("--announce goes with 'add'");
  return { req, control: (values.control as string | undefined) ?? DEFAULT_CONTROL, json: values.json === true };
}

async function ask(path: string, req: ControlRequest): Promise<Record<string, unknown>> {
  try {
    return await controlRequest(path, req);
  } catch (err) {
    const e = err as Error & { code?: string };
    const why = e.code === 'ENOENT' || e.code === 'ECONNREFUSED'
      ? `no daemon listening on ${path} (is neighproxy running? its --control path?)`
      : e.code === 'EACCES' ? `${path}: permission denied (the socket is mode 0600: run as the daemon's user or root)` : e.message;
    throw new UsageError(why, 1);
  }
}

/** After `del`: where the file defines the entry too, it comes back on the next reload. */
async function delNote(path: string, address: string, iface: string | undefined): Promise<string> {
  const rules = await ask(path, { cmd: 'show', what: 'rules' }).catch(() => null);
  const list = (rules?.interfaces ?? []) as { name: string; statics?: { line: number; address: string }[] }[];
  const where = list.flatMap((i) => (iface === undefined || i.name === iface
    ? (i.statics ?? []).filter((s) => s.address === address && s.line > 0).map((s) => `line ${s.line}`) : []));
  if (where.length === 0) return '';
  return `; it is defined in ${String(rules!.file)} (${where.join(', ')}) and returns on the next reload: remove it there to make this last`;
}

/** The human form of a successful answer. */
export function renderAnswer(req: ControlRequest, res: Record<string, unknown>): string {
  if (req.cmd === 'show') {
    if (req.what === 'cache') return renderCache(res);
    if (req.what === 'rules') return renderRules(res);
    return renderStats(res);
  }
  if (req.cmd === 'add') return `added ${String(res.address)} -> ${String(res.mac)} on ${String(res.interface)}\n`;
  if (req.cmd === 'save') return `saved ${String(res.entries)} learned entries to ${String(res.file)} (${String(res.bytes)} bytes)${res.probes ? `, and ${String(res.probes)} probe cache entries` : ''}\n`;
  if (req.cmd === 'role') {
    const list = (res.interfaces ?? []) as { interface: string; role: string; source: string }[];
    return list.map((i) => `${i.interface}: ${i.role} (${i.source})\n`).join('') || 'no interface changed\n';
  }
  return `removed ${String(res.address)} (${String(res.removed)} interface${res.removed === 1 ? '' : 's'})`;
}

export const command: Command = {
  summary: 'query or change a running daemon (show cache|rules|stats, add, del, save, role)',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const { req, control, json } = ctlRequest(argv);
    const res = await ask(control, req);
    if (json) {
      process.stdout.write(`${JSON.stringify(res)}\n`);
    } else if (res.ok === true) {
      const note = req.cmd === 'del' ? await delNote(control, String(res.address), req.interface) : '';
      const out = renderAnswer(req, res);
      process.stdout.write(req.cmd === 'del' ? `${out}${note}\n` : out);
    }
    if (res.ok !== true) {
      const e = (res.error ?? {}) as { code?: string; message?: string };
      if (!json) process.stderr.write(`neighproxy ctl: ${e.code ?? 'ERROR'}: ${e.message ?? 'failed'}\n`);
      return 1;
    }
    return 0;
  },
};
