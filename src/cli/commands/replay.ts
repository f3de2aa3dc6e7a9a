// `neighproxy replay`: a capture through the kernel filter and the policy, offline.
import { readFileSync, writeFileSync } from 'node:fs';
import { UsageError, type Command } from '../command';
import { compileFilter } from '../../bpf/compile';
import { formatReplay, replayFrames } from '../../replay/replay';
import { CaptureError, readCapture, writePcap, type CapturedFrame } from '../../pcap/pcap';
import { policyDecider, type ExtraFrames } from '../../replay/decider';
import { parseCommandArgs, type ArgSpec } from '../args';
import { loadBytecodeFile, loadConfigFile, pickInterfaces } from './filter';

export const REPLAY_ARGS: ArgSpec = {
  command: 'replay',
  options: {
    config: { type: 'string', short: 'c', value: 'FILE' },
    interface: { type: 'string', short: 'i', value: 'IF' },
    bytecode: { type: 'string', value: 'FILE' },
    write: { type: 'string', short: 'w', value: 'FILE' },
  },
  positionals: ['CAPTURE'],
};

export const command: Command = {
  summary: 'replay a capture through the kernel filter and the policy, without root',
  usage: [
    'usage: neighproxy replay -c FILE [-i IF] [--bytecode FILE] [-w REPLIES] CAPTURE',
    '',
    'Reads CAPTURE (pcap or pcapng, Ethernet), and for every frame prints whether the',
    "interface's kernel filter passes it and what the policy decides (action, rule line,",
    'reason). The filter runs in a user-space classic-BPF interpreter with the kernel\'s',
    'semantics; a frame\'s outer VLAN tag is handed to the filter as ancillary data, as',
    'the kernel strips it on receive. No root and no sockets are needed.',
    '',
    "  -c, --config FILE     the neighproxy configuration ('-': standard input)",
    '  -i, --interface IF    the interface whose rules apply (default: the first)',
    "      --bytecode FILE   use this 'tcpdump -ddd' program instead of the compiled filter",
    '  -w, --write REPLIES   write the replies the policy would send as a pcap file',
    "CAPTURE '-' reads standard input (not together with --config -).",
  ].join('\n'),
  async run(argv: string[]): Promise<number> {
    const { values, positionals } = parseCommandArgs(REPLAY_ARGS, argv);
    const capPath = positionals[0];
    if (!capPath) throw new UsageError('a CAPTURE file is required');
    const file = values.config as string | undefined;
    if (!file) throw new UsageError('--config FILE is required');
    if (file === '-' && capPath === '-') throw new UsageError('standard input can be the configuration or the capture, not both');
    const config = loadConfigFile(file);
    const iface = pickInterfaces(config, values.interface as string | undefined)[0];
    if (!iface) throw new UsageError(`${file} configures no interface`, 1);
    const ifIndex = config.interfaces.indexOf(iface);
    const bytecode = values.bytecode as string | undefined;
    const program = bytecode ? loadBytecodeFile(bytecode) : compileFilter(iface, config.cache).program;
    let bytes: Buffer;
    try {
      bytes = readFileSync(capPath === '-' ? 0 : capPath);
    } catch (err) {
      throw new UsageError(`${capPath}: ${(err as Error).message}`, 1);
    }
    let frames: CapturedFrame[];
    try {
      frames = readCapture(bytes).frames;
    } catch (err) {
      if (err instanceof CaptureError) throw new UsageError(`${capPath}: ${err.message}`, 1);
      throw err;
    }
    const extra: ExtraFrames = { arpRequests: 0, arpReplies: 0, announcements: 0, solicitations: 0, advertisements: 0 };
    const decide = policyDecider(config, ifIndex, extra);
    const rows = replayFrames(frames, program, decide);
    process.stdout.write(formatReplay(rows, decide !== null));
    const asked = Object.entries(extra).filter(([, n]) => n > 0);
    if (asked.length) process.stdout.write(`the policy also asked to send (not written): ${asked.map(([k, n]) => `${n} ${k}`).join(', ')}\n`);
    const out = values.write as string | undefined;
    if (out) {
      if (!decide) process.stderr.write('neighproxy replay: policy not available in this build: no replies to write\n');
      const replies: CapturedFrame[] = [];
      rows.forEach((r, i) => {
        const reply = r.decision?.reply;
        if (reply) replies.push({ data: reply, origLen: reply.length, tsSec: frames[i]!.tsSec, tsNsec: frames[i]!.tsNsec });
      });
      writeFileSync(out, writePcap(replies));
    }
    return 0;
  },
};
