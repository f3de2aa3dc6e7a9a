// Load drivers: offer requests on the generator's side of a veth and capture replies.
//
// A driver runs one bounded load (count and time) and returns raw send and receive
// records; matching and statistics happen in match.ts, the same for every driver.
// `native` (generator-native.ts) is the project's own TX-ring generator and RX ring;
// `standin` (Python, AF_PACKET) only smoke-tests the harness where the addon is missing.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRequestCycle, replyResidue, type Family } from './frames';

export interface LoadPlan {
  family: Family;
  /** Namespace (name, for `ip netns exec`) and interface the generator sends on. */
  netns: string;
  ifname: string;
  /** Requests per second; 0 = as fast as the generator goes. */
  rate: number;
  /** Upper bound on requests sent. */
  count: number;
  /** Upper bound on sending time, seconds. */
  maxSeconds: number;
  /** How long to keep capturing after the last request, milliseconds. */
  drainMs: number;
  /**
   * Take request send times from ring timestamps of the requests arriving at the
   * responder's interface (`responderNetns`/`responderIf`) instead of the generator's clock.
   */
  timestampRequests?: boolean;
  responderNetns?: string;
  responderIf?: string;
}

export interface LoadResult {
  sent: number;
  /** Seconds between the first and the last send. */
  sendSeconds: number;
  /** Send time of request i, CLOCK_REALTIME ns (length >= sent). */
  txNs: Float64Array;
  /** Per captured reply: residue (frames.ts) or -1, and receive timestamp (CLOCK_REALTIME ns). */
  rxResidue: Int32Array;
  rxNs: Float64Array;
  rxCount: number;
  /** Where txNs comes from: ring timestamps of the requests at the responder, or the generator's clock. */
  txClock?: 'ring' | 'generator';
  /** Replies the capture dropped (kernel ring drops), when the driver can tell. */
  captureDrops?: number;
  /** Distinct requests the load cycles through, when fewer than frames.ts's S*T (trafgen). */
  cycle?: number;
}

export interface LoadDriver {
  readonly name: string;
  run(plan: LoadPlan): Promise<LoadResult>;
  close(): void;
}

function run(cmd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}: ${err.trim()}`))));
    if (input !== undefined) child.stdin.end(input);
  });
}

const SNAP = 96;
const REC = 8 + SNAP;

/** Python AF_PACKET sender and capture: for smoke tests of the harness only. */
export class StandinDriver implements LoadDriver {
  readonly name = 'standin (python AF_PACKET; smoke tests only)';
  private readonly dir = mkdtempSync(join(tmpdir(), 'neighproxy-bench-'));
  private readonly script = join(__dirname, '..', '..', '..', 'bench', 'pps', 'standin.py');
  private readonly cycles = new Map<Family, { file: string; frameLength: number }>();

  private cycle(f: Family): { file: string; frameLength: number } {
    let c = this.cycles.get(f);
    if (!c) {
      const { frames, frameLength } = buildRequestCycle(f);
      const file = join(this.dir, `${f}.frames`);
      writeFileSync(file, frames);
      c = { file, frameLength };
      this.cycles.set(f, c);
    }
    return c;
  }

  async run(plan: LoadPlan): Promise<LoadResult> {
    const { file, frameLength } = this.cycle(plan.family);
    const rxOut = join(this.dir, 'rx.bin');
    const txOut = join(this.dir, 'tx.bin');
    const rx = spawn('ip', ['netns', 'exec', plan.netns, 'python3', this.script, 'rx', plan.ifname, rxOut], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const rxDone = new Promise<void>((resolve) => rx.on('close', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      rx.stdout.once('data', () => resolve());
      rx.once('close', () => reject(new Error('stand-in capture exited before it was ready')));
    });
    try {
      await run('ip', [
        'netns', 'exec', plan.netns, 'python3', this.script, 'tx', plan.ifname, file, String(frameLength),
        String(plan.count), String(plan.rate), String(plan.maxSeconds), txOut,
      ]);
      await new Promise((r) => setTimeout(r, plan.drainMs));
    } finally {
      rx.stdin.end();
      await rxDone;
    }
    const txb = readFileSync(txOut);
    const txNs = new Float64Array(txb.buffer.slice(txb.byteOffset, txb.byteOffset + txb.byteLength));
    const rxb = readFileSync(rxOut);
    const n = Math.floor(rxb.length / REC);
    const rxResidue = new Int32Array(n);
    const rxNs = new Float64Array(n);
    const view = new DataView(rxb.buffer, rxb.byteOffset, rxb.byteLength);
    const bytes = new Uint8Array(rxb.buffer, rxb.byteOffset, rxb.byteLength);
    for (let k = 0; k < n; k++) {
      rxNs[k] = view.getFloat64(k * REC, true);
      rxResidue[k] = replyResidue(plan.family, bytes, k * REC + 8, SNAP);
    }
    const sent = txNs.length;
    return {
      sent,
      sendSeconds: sent > 1 ? (txNs[sent - 1]! - txNs[0]!) / 1e9 : 0,
      txNs,
      rxResidue,
      rxNs,
      rxCount: n,
    };
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
