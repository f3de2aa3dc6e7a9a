// Link types without a link layer, without a namespace: the names in messages, the check
// errors and the ring-open refusal (tun-netns.test.ts crosses a wire with a real tun).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ARPHRD_ETHER, ARPHRD_LOOPBACK, ARPHRD_NONE, ARPHRD_PPP, captureRefusal, hasNoLinkLayer, linkTypeName } from '../../src/net/linktype';
import { isLinkWithoutLinkLayer, linkTypeErrors, refuseLinksWithoutLinkLayer } from '../../src/daemon/linktype';
import { parseLink } from '../../src/netlink/message';
import { parseConfig } from '../../src/config';

test('tun/WireGuard (ARPHRD_NONE) and PPP have no link layer; Ethernet and loopback do', () => {
  assert.equal(hasNoLinkLayer(ARPHRD_NONE), true);
  assert.equal(hasNoLinkLayer(ARPHRD_PPP), true);
  assert.equal(hasNoLinkLayer(ARPHRD_ETHER), false);
  assert.equal(hasNoLinkLayer(ARPHRD_LOOPBACK), false);
  assert.match(linkTypeName(ARPHRD_PPP), /^ARPHRD_PPP/);
  assert.equal(captureRefusal('eth0', ARPHRD_ETHER), undefined);
  assert.match(captureRefusal('ppp0', ARPHRD_PPP)!, /^ppp0 is a link without link layer, ARPHRD_PPP/);
});

test('rtnetlink link messages carry the link type (ifi_type)', () => {
  const body = new Uint8Array(16);
  new DataView(body.buffer).setUint16(2, ARPHRD_NONE, true);
  new DataView(body.buffer).setInt32(4, 7, true);
  assert.equal(parseLink(body)!.type, ARPHRD_NONE);
  const kernel = { link: (n: string) => (n === 'wg0' ? { index: 7, name: 'wg0', type: ARPHRD_NONE, up: true, lowerUp: true, master: 0, kind: 'wireguard', vrfTable: undefined } : undefined) };
  assert.equal(isLinkWithoutLinkLayer('wg0', kernel), true);
  assert.equal(isLinkWithoutLinkLayer('np-surely-absent0', kernel), undefined);
});

test('check errors point at the interface block; ring open is refused with E_LINK_TYPE before any socket', () => {
  const { config } = parseConfig('interface eth0\n rule 0.0.0.0/0 198.51.100.0/24 route\nend\n\ninterface wg0\n rule 0.0.0.0/0 198.51.100.0/24 self\nend\n', 'x.conf');
  const types: Record<string, number> = { eth0: ARPHRD_ETHER, wg0: ARPHRD_NONE };
  const errs = linkTypeErrors(config, (n) => types[n] ?? null);
  assert.deepEqual(errs.map((e) => [e.interface, e.line]), [['wg0', 5]]);
  assert.match(errs[0]!.message, /^x\.conf:5:1: wg0 is a link without link layer, ARPHRD_NONE/);
  assert.deepEqual(linkTypeErrors(config, () => null), [], 'absent links: nothing to say at check');
  let opened = 0;
  const open = refuseLinksWithoutLinkLayer((name: string) => { opened++; return name; }, (n) => types[n]);
  assert.equal(open('eth0', {}), 'eth0');
  assert.throws(() => open('wg0', {}), (e: Error & { code?: string }) => e.code === 'E_LINK_TYPE' && /ARPHRD_NONE/.test(e.message));
  assert.equal(open('absent0', {}), 'absent0', 'unknown type: the ring open says what is wrong');
  assert.equal(opened, 2);
});

test('a probe interface without a block must be a link without link layer: check refuses one with a link layer', () => {
  const text = 'interface up0\n rule 0.0.0.0/0 192.0.2.0/24 probe tun0\n rule 0.0.0.0/0 198.51.100.0/24 probe eth5\n rule 0.0.0.0/0 203.0.113.0/24 probe gone0\nend\n';
  const { config } = parseConfig(text, 'p.conf');
  const types: Record<string, number> = { up0: ARPHRD_ETHER, tun0: ARPHRD_NONE, eth5: ARPHRD_ETHER };
  const errs = linkTypeErrors(config, (n) => types[n] ?? null);
  assert.deepEqual(errs.map((e) => [e.interface, e.line, e.column]), [['eth5', 3, 2]], 'tun0 is fine, an absent link may appear later');
  assert.match(errs[0]!.message, /^p\.conf:3:2: found 'probe eth5', expected an interface with its own 'interface eth5' block: eth5 has a link layer/);
});
