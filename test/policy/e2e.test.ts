// End to end: the Linux kernel of client namespaces resolves proxied addresses through
// the policy. Glue as the daemon will do it: ring -> parseFrame -> policy.handle ->
// wire builders into ring.tx; PolicyOutput also writes into ring.tx.
//
// One bridge (MLD snooping off, as ndproxy(4) requires) joins: the proxy (our ring),
// a client, an owner host, a router, and a DHCP server. Only documentation addresses.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, needsNetns, waitFor } from '../helpers/netns';
import { Ring } from '../../src/engine/ring';
import { DESC_LENGTH, DESC_OFFSET, DESC_STRIDE, DESC_VLAN_TCI, type Batch, type TxWriter } from '../../src/engine/types';
import {
  buildArpReply,
  buildArpReplyTo,
  buildArpRequest,
  buildGratuitousArp,
  buildNaReplyTo,
  buildNeighborAdvertisement,
  buildNsRefresh,
  buildNsResolve,
  buildUnsolicitedNa,
  parseFrame,
} from '../../src/wire';
import { FrameKind, FrameView } from '../../src/wire/view';
import { Policy, REASON_NAMES, Verdict, type PolicyEnvironment, type PolicyOutput } from '../../src/policy';
import { Family, formatIp4, formatMac, ip6Equal, parseIp6, parseMac, type Ip4, type Ip6, type Mac } from '../../src/net/addr';
import { config, iface, ip4, ip6, rule } from './fixtures/build';

const skip = needsNetns();

const MAC = {
  proxy: '02:00:5e:00:00:fe',
  client: '02:00:5e:00:00:10',
  owner: '02:00:5e:00:00:20',
  router: '02:00:5e:00:00:01',
  dhcp: '02:00:5e:00:00:04',
};
const CPE = '00:0c:29:b6:43:d5';

/** PolicyOutput over a ring's TX: the daemon's job, in a few lines. */
class RingOutput implements PolicyOutput {
  constructor(
    private readonly tx: TxWriter,
    private readonly ourMac: Mac,
    private readonly ll: Ip6,
  ) {}
  private put(build: (buf: Uint8Array, off: number) => number): void {
    const off = this.tx.reserve();
    if (off >= 0) this.tx.commit(build(this.tx.buf, off));
  }
  arpRequest(_i: number, vlan: number, senderMac: Mac, senderIp: Ip4, targetIp: Ip4, dstMac: Mac): void {
    this.put((b, o) => buildArpRequest(b, o, vlan, dstMac, senderMac, senderIp, targetIp));
  }
  arpReply(_i: number, vlan: number, dstMac: Mac, dstIp: Ip4, answerMac: Mac, answerIp: Ip4): void {
    this.put((b, o) => buildArpReply(b, o, vlan, this.ourMac, dstMac, dstIp, answerMac, answerIp));
  }
  arpAnnounce(_i: number, vlan: number, ip: Ip4, mac: Mac): void {
    this.put((b, o) => buildGratuitousArp(b, o, vlan, mac, ip));
  }
  neighborSolicitation(_i: number, vlan: number, srcIp: Ip6, target: Ip6, dstMac: Mac | -1): void {
    this.put((b, o) =>
      dstMac === -1 ? buildNsResolve(b, o, vlan, this.ourMac, srcIp, target) : buildNsRefresh(b, o, vlan, this.ourMac, srcIp, target, dstMac),
    );
  }
  neighborAdvertisement(_i: number, vlan: number, dstMac: Mac, dstIp: Ip6, target: Ip6, answerMac: Mac, flags: number): void {
    this.put((b, o) => buildNeighborAdvertisement(b, o, vlan, this.ourMac, dstMac, this.ll, dstIp, target, answerMac, flags));
  }
  unsolicitedNa(_i: number, vlan: number, target: Ip6, mac: Mac, flags: number): void {
    this.put((b, o) => buildUnsolicitedNa(b, o, vlan, this.ourMac, this.ll, target, mac, flags));
  }
}

function linkLocal(lab: Lab, ns: string, dev: string): string | undefined {
  const out = JSON.parse(lab.exec(ns, 'ip', ['-j', '-6', 'addr', 'show', 'dev', dev, 'scope', 'link']) || '[]') as Array<{
    addr_info?: Array<{ local: string }>;
  }>;
  return out[0]?.addr_info?.find((a) => a.local)?.local;
}

/** The kernel in `ns` resolves `addr` when it sends a datagram there. */
function sendFrom(lab: Lab, ns: string, addr: string): void {
  const fam = addr.includes(':') ? 'udp6' : 'udp4';
  lab.exec(ns, process.execPath, ['-e', `const s=require('dgram').createSocket('${fam}');s.send('np',9,'${addr}',()=>s.close());`]);
}

describe('policy end to end on a ring', { skip, timeout: 30000 }, () => {
  let lab: Lab;
  let ring: Ring | undefined;
  let timer: NodeJS.Timeout | undefined;
  let policy: Policy;
  const ns = { sw: '', px: '', cl: '', ow: '', rt: '', dh: '' };
  const decisions: string[] = [];
  let routerLL = '';

  before(async () => {
    lab = new Lab('pe2e');
    for (const k of Object.keys(ns) as (keyof typeof ns)[]) ns[k] = lab.netns(k);
    lab.exec(ns.sw, 'ip', ['link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0']);
    lab.exec(ns.sw, 'ip', ['link', 'set', 'br0', 'up']);
    const hosts: [keyof typeof ns, string, string, string[]][] = [
      ['px', 'p0', MAC.proxy, ['198.51.100.254/24', '2001:db8::fe/64']],
      ['cl', 'c0', MAC.client, ['198.51.100.10/24', '2001:db8::10/64']],
      ['ow', 'o0', MAC.owner, ['198.51.100.20/24']],
      ['rt', 'r0', MAC.router, ['198.51.100.1/24', '2001:db8::1/64']],
      ['dh', 'd0', MAC.dhcp, ['198.51.100.4/24']],
    ];
    for (const [host, port, mac, addrs] of hosts) {
      lab.veth(ns.sw, port, ns[host], 'eth0', { macB: mac });
      lab.exec(ns.sw, 'ip', ['link', 'set', port, 'master', 'br0']);
      for (const a of addrs) lab.exec(ns[host], 'ip', ['addr', 'add', a, 'dev', 'eth0', ...(a.includes(':') ? ['nodad'] : [])]);
    }
    // The proxied IPv6 prefix is on-link for the router and the client: they solicit it.
    for (const h of ['rt', 'cl'] as const) lab.exec(ns[h], 'ip', ['-6', 'route', 'add', '2001:db8:1::/64', 'dev', 'eth0']);
    // Fast, bounded resolution attempts (3 requests 300 ms apart) for the DHCP server.
    lab.exec(ns.dh, 'sysctl', ['-qw', 'net.ipv4.neigh.eth0.retrans_time_ms=300', 'net.ipv4.neigh.eth0.mcast_solicit=3']);
    // Link-local addresses appear once the links have carrier.
    assert.ok(await waitFor(() => !!linkLocal(lab, ns.rt, 'eth0') && !!linkLocal(lab, ns.px, 'eth0'), 5000, 50), 'link-local addresses');
    routerLL = linkLocal(lab, ns.rt, 'eth0')!;
    const ourLL = parseIp6(linkLocal(lab, ns.px, 'eth0')!)!;
    ring = Ring.open('eth0', { netns: lab.nsPath(ns.px) });
    const r = ring;
    const env: PolicyEnvironment = {
      interfaceMac: () => r.mac,
      isOwnIp4: (_i, a) => a === ip4('198.51.100.254'),
      isOwnIp6: (_i, a) => ip6Equal(a, ip6('2001:db8::fe')) || ip6Equal(a, ourLL),
      sourceIp4: () => ip4('198.51.100.254'),
      sourceIp6: (_i, out) => (out.set(ourLL), true),
      routeInterface: () => undefined,
    };
    const cfg = config(
      [
        iface(
          'eth0',
          [
            rule(10, '0.0.0.0/0', '198.51.100.0/29', 'ignore'),
            rule(11, '198.51.100.4/32', '198.51.100.0/24', 'tell', { delay: true }),
            rule(12, '0.0.0.0/0', '198.51.100.32/27', 'self'),
            rule(13, '198.51.100.0/24', '198.51.100.16/28', 'tell'),
            rule(14, '198.51.100.0/24', '198.51.100.0/24', '198.51.100.1'),
            rule(15, '::/0', '2001:db8:1::/64', CPE),
          ],
          {
            timeout: 2,
            nd: {
              uplinks: [ip6(routerLL), ip6('2001:db8::1')],
              exceptions: [],
              router: true,
              override: false,
              dadDefend: false,
              naSource: 'link-local' as never,
            },
          },
        ),
      ],
      { timeout: 300, tablesize: 1000, delay: { count: 4, window: 3 } },
    );
    policy = new Policy({ config: cfg, env, output: new RingOutput(r.tx, r.mac, ourLL) });
    const view = new FrameView();
    const now = () => performance.now() / 1000;
    r.start((batch: Batch, tx: TxWriter) => {
      for (let i = 0; i < batch.count; i++) {
        const d0 = i * DESC_STRIDE;
        parseFrame(batch.buf, batch.desc[d0 + DESC_OFFSET]!, batch.desc[d0 + DESC_LENGTH]!, batch.desc[d0 + DESC_VLAN_TCI]!, view);
        const d = policy.handle(view, 0, now());
        if (view.kind === FrameKind.ArpRequest || view.kind === FrameKind.NeighborSolicitation) {
          decisions.push(`${d.family === 4 ? formatIp4(view.senderIp) : ''}${d.family === 6 ? 'nd' : ''}->${d.family === 4 ? formatIp4(view.targetIp) : ''} ${REASON_NAMES[d.reason]} ${d.ruleLine}`);
        }
        if (d.verdict !== Verdict.Answer) continue;
        const off = tx.reserve();
        if (off < 0) continue;
        tx.commit(
          d.family === 4 ? buildArpReplyTo(tx.buf, off, view, d.answerMac, r.mac) : buildNaReplyTo(tx.buf, off, view, d.answerMac, r.mac, ourLL, d.naFlags),
        );
      }
    });
    timer = setInterval(() => {
      policy.tick(now());
      r.tx.flush();
    }, 50);
  });

  after(() => {
    if (timer) clearInterval(timer);
    ring?.close();
    lab?.destroy();
  });

  const neigh = (host: keyof typeof ns, addr: string) => lab.neighbours(ns[host], 'eth0').get(addr);

  test('tell: after the owner was learned from its broadcast, a client gets the owner\'s real MAC', async () => {
    // Unknown yet: the client's resolution gets no answer.
    sendFrom(lab, ns.cl, '198.51.100.21');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(neigh('cl', '198.51.100.21'), undefined);
    assert.ok(decisions.includes('198.51.100.10->198.51.100.21 unknown_target 13'), decisions.join('\n'));
    // The owner speaks (broadcast ARP for someone), then stops answering ARP itself.
    sendFrom(lab, ns.ow, '198.51.100.99');
    assert.ok(await waitFor(() => policy.lookup(0, -1, { family: Family.V4, v4: ip4('198.51.100.20') }, performance.now() / 1000) === parseMac(MAC.owner), 3000));
    lab.exec(ns.ow, 'ip', ['link', 'set', 'eth0', 'arp', 'off']);
    sendFrom(lab, ns.cl, '198.51.100.20');
    assert.ok(await waitFor(() => neigh('cl', '198.51.100.20') === MAC.owner, 3000), JSON.stringify([...lab.neighbours(ns.cl, 'eth0')]));
    assert.ok(decisions.includes('198.51.100.10->198.51.100.20 rule 13'));
  });

  test('redirect: a client asking for another client gets the router MAC, resolved on demand', async () => {
    sendFrom(lab, ns.cl, '198.51.100.100');
    assert.ok(
      await waitFor(() => neigh('cl', '198.51.100.100') === MAC.router, 3000),
      `${JSON.stringify([...lab.neighbours(ns.cl, 'eth0')])}\n${decisions.join('\n')}`,
    );
    assert.ok(decisions.includes('198.51.100.10->198.51.100.100 rule 14'), decisions.join('\n'));
    // The first redirect (the owner's request for .99 in the tell test) waited for the
    // router's reply to our broadcast and was sent from the pending queue.
    assert.ok(decisions.includes('198.51.100.20->198.51.100.99 resolving 14'), decisions.join('\n'));
    assert.ok(policy.stats().pending.answered >= 1);
    assert.equal(policy.stats().cache.resolutions >= 1, true);
  });

  test('probe: an RFC 5227 probe (sender 0.0.0.0) gets no answer, a request for the same address does', async () => {
    const probe = Ring.open('eth0', { netns: lab.nsPath(ns.cl) });
    try {
      const replies: string[] = [];
      const v = new FrameView();
      probe.start((batch: Batch) => {
        for (let i = 0; i < batch.count; i++) {
          const d0 = i * DESC_STRIDE;
          parseFrame(batch.buf, batch.desc[d0 + DESC_OFFSET]!, batch.desc[d0 + DESC_LENGTH]!, batch.desc[d0 + DESC_VLAN_TCI]!, v);
          if (v.kind === FrameKind.ArpReply) replies.push(`${formatIp4(v.senderIp)} is-at ${formatMac(v.senderMac)} to ${formatIp4(v.targetIp)}`);
        }
      });
      const send = (sender: string) => {
        const off = probe.tx.reserve();
        probe.tx.commit(buildArpRequest(probe.tx.buf, off, -1, 0xffffffffffff, parseMac(MAC.client)!, ip4(sender), ip4('198.51.100.40')));
        probe.tx.flush();
      };
      send('0.0.0.0');
      await new Promise((r) => setTimeout(r, 400));
      assert.deepEqual(replies, []);
      assert.ok(decisions.includes('0.0.0.0->198.51.100.40 probe 12'), decisions.join('\n'));
      send('198.51.100.10');
      assert.ok(await waitFor(() => replies.length > 0, 2000));
      assert.deepEqual(replies, [`198.51.100.40 is-at ${MAC.proxy} to 198.51.100.10`]);
    } finally {
      probe.close();
    }
  });

  test('delay: the DHCP server\'s first resolution (3 requests) sees silence; its retry is answered', async () => {
    sendFrom(lab, ns.dh, '198.51.100.20');
    await new Promise((r) => setTimeout(r, 1200)); // 3 requests, 300 ms apart, then FAILED
    assert.equal(neigh('dh', '198.51.100.20'), undefined);
    assert.equal(decisions.filter((d) => d === '198.51.100.4->198.51.100.20 delayed 11').length, 3, decisions.join('\n'));
    sendFrom(lab, ns.dh, '198.51.100.20');
    assert.ok(await waitFor(() => neigh('dh', '198.51.100.20') === MAC.owner, 2000), decisions.join('\n'));
  });

  test('ND proxy: the uplink router\'s solicitation is answered with the CPE MAC, the client\'s is not', async () => {
    sendFrom(lab, ns.cl, '2001:db8:1::5');
    sendFrom(lab, ns.rt, '2001:db8:1::5');
    assert.ok(await waitFor(() => neigh('rt', '2001:db8:1::5') === CPE, 3000), JSON.stringify([...lab.neighbours(ns.rt, 'eth0')]));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(neigh('cl', '2001:db8:1::5'), undefined);
    assert.ok(decisions.includes('nd-> not_uplink 0'), decisions.join('\n'));
    assert.ok(decisions.includes('nd-> rule 15'), decisions.join('\n'));
  });
});
