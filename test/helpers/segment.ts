// A switched segment for the takeover tests: a bridge br0 in the daemon's namespace (the
// daemon captures on br0) and one namespace per host behind its own bridge port, each
// with a fixed MAC. Hosts send hand-built frames from TX rings in their namespaces (their
// kernels take part only where a test gives them an address), in either family: the
// address's text says which. `ask` records only the daemon's answers (Ethernet source =
// br0's MAC): a host's kernel may answer the same request.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARP_REPLY_AND_NA_FILTER, REJECT_ALL_FILTER } from '../../src/engine/filters';
import { Ring } from '../../src/engine/ring';
import { DESC_LENGTH, DESC_OFFSET, DESC_STRIDE, DESC_VLAN_TCI, type Batch, type BpfProgram } from '../../src/engine/types';
import { BROADCAST_MAC, formatIp4, formatIp6, multicastMac6, parseIp4, parseIp6, parseMac, solicitedNode6, type Mac } from '../../src/net/addr';
import { buildArpRequest, buildGratuitousArp, buildNeighborSolicitation, buildUnsolicitedNa } from '../../src/wire/build';
import { parseFrame } from '../../src/wire/parse';
import { FrameKind, FrameView, NA_FLAG_OVERRIDE } from '../../src/wire/view';
import { DaemonProcess } from '../daemon/fixtures/daemon';
import { scrapeMetrics } from '../daemon/fixtures/prom';
import { Lab, waitFor } from './netns';

export const BRIDGE_MAC = '02:00:5e:00:53:fe';

const v6 = (addr: string): boolean => addr.includes(':');

/** One host on the segment: namespace `${prefix}-NAME`, interface NAME0, bridge port swNAME. */
export class SegmentHost {
  readonly mac: Mac;
  readonly ifname: string;
  private tx: Ring | undefined;
  private rx: Ring | undefined;
  /** The daemon's answers to this host: answered address (as formatted) -> MAC. */
  private readonly told = new Map<string, Mac>();

  constructor(private readonly seg: Segment, readonly ns: string, readonly name: string, readonly macText: string) {
    this.mac = parseMac(macText)!;
    this.ifname = `${name}0`;
  }

  /** Sends one frame built by `build` (returns its length) from this host's TX ring. */
  send(build: (buf: Uint8Array, off: number) => number): void {
    const r = (this.tx ??= this.seg.ring(this.ns, this.ifname, REJECT_ALL_FILTER));
    const off = r.tx.reserve();
    if (off < 0) throw new Error(`${this.name}: TX ring full`);
    r.tx.commit(build(r.tx.buf, off));
    r.tx.flush();
  }

  /** Claims `addr` for `mac` (default: this host's): a gratuitous ARP, or an unsolicited NA with O=1. */
  claim(addr: string, mac = this.mac): void {
    if (v6(addr)) {
      const a = parseIp6(addr)!;
      this.send((b, o) => buildUnsolicitedNa(b, o, -1, mac, a, a, mac, NA_FLAG_OVERRIDE));
    } else {
      this.send((b, o) => buildGratuitousArp(b, o, -1, mac, parseIp4(addr)!));
    }
  }

  /** A broadcast ARP request / multicast NS with a source link-layer option, from `addr`, for `target`. */
  solicitFrom(addr: string, target: string): void {
    if (v6(addr)) {
      const g = solicitedNode6(parseIp6(target)!, new Uint32Array(4));
      this.send((b, o) => buildNeighborSolicitation(b, o, -1, this.mac, multicastMac6(g), parseIp6(addr)!, g, parseIp6(target)!, this.mac));
    } else {
      this.send((b, o) => buildArpRequest(b, o, -1, BROADCAST_MAC, this.mac, parseIp4(addr)!, parseIp4(target)!));
    }
  }

  /** Asks for `target` from `from` (ARP request / NS); resolves with the MAC the daemon answered, or undefined after `ms`. */
  async ask(target: string, from: string, ms = 2000): Promise<Mac | undefined> {
    this.listen();
    const key = v6(target) ? formatIp6(parseIp6(target)!) : target;
    this.told.delete(key);
    this.solicitFrom(from, target);
    await waitFor(() => this.told.has(key), ms);
    return this.told.get(key);
  }

  /** The MAC this host's kernel holds for `addr` (`ip neigh`), if any. */
  kernelNeighbour(addr: string): string | undefined {
    return this.seg.lab.neighbours(this.ns, this.ifname).get(addr);
  }

  private listen(): void {
    if (this.rx) return;
    const view = new FrameView();
    const br = this.seg.bridgeMac;
    this.rx = this.seg.ring(this.ns, this.ifname, ARP_REPLY_AND_NA_FILTER);
    this.rx.start((b: Batch) => {
      for (let k = 0; k < b.count; k++) {
        const d = k * DESC_STRIDE;
        const kind = parseFrame(b.buf, b.desc[d + DESC_OFFSET]!, b.desc[d + DESC_LENGTH]!, b.desc[d + DESC_VLAN_TCI]!, view);
        if (view.ethSrc !== br) continue;
        if (kind === FrameKind.ArpReply) this.told.set(formatIp4(view.senderIp), view.senderMac);
        else if (kind === FrameKind.NeighborAdvertisement && view.targetLinkAddr !== -1) this.told.set(formatIp6(view.target), view.targetLinkAddr);
      }
    });
  }
}

export class Segment {
  readonly lab: Lab;
  /** The daemon's namespace, with br0. */
  readonly sw: string;
  readonly bridgeMac: Mac = parseMac(BRIDGE_MAC)!;
  private readonly dir: string;
  private readonly rings: Ring[] = [];
  private metricsPort = 0;

  constructor(t: { after(fn: () => void): void }, tag: string) {
    this.lab = new Lab(tag);
    this.dir = mkdtempSync(join(tmpdir(), 'npseg-'));
    t.after(() => {
      for (const r of this.rings) r.close();
      this.lab.destroy();
      rmSync(this.dir, { recursive: true, force: true });
    });
    this.sw = this.lab.netns('sw');
    this.lab.exec(this.sw, 'ip', ['link', 'add', 'br0', 'type', 'bridge']);
    this.lab.exec(this.sw, 'ip', ['link', 'set', 'br0', 'address', BRIDGE_MAC, 'up']);
  }

  /** A host named `name` (two letters: names are short) with MAC `mac`, its port in br0. */
  host(name: string, mac: string): SegmentHost {
    const ns = this.lab.netns(name);
    const h = new SegmentHost(this, ns, name, mac);
    this.lab.veth(ns, h.ifname, this.sw, `sw${name}`, { macA: mac });
    this.lab.exec(this.sw, 'ip', ['link', 'set', `sw${name}`, 'master', 'br0']);
    return h;
  }

  /** Opens a ring in `ns`, closed when the test ends. */
  ring(ns: string, ifname: string, filter: BpfProgram): Ring {
    const r = Ring.open(ifname, { netns: this.lab.nsPath(ns), filter });
    this.rings.push(r);
    return r;
  }

  /** Starts the daemon on br0 with `config`, metrics on 127.0.0.1:`port` in its namespace. */
  async daemon(config: string, port: number): Promise<DaemonProcess> {
    const file = join(this.dir, 'neighproxy.conf');
    writeFileSync(file, config);
    this.metricsPort = port;
    const d = new DaemonProcess(this.lab, this.sw, ['--config', file, '--no-control', '--no-drop', '--no-mld-joins', '--metrics', `127.0.0.1:${port}`]);
    await d.started();
    return d;
  }

  metrics(): Map<string, number> {
    return scrapeMetrics(this.lab, this.sw, this.metricsPort);
  }
}
