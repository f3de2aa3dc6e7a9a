// The filter of an interface other rules `probe` on passes the replies for the probed
// prefixes (NAs for them; ARP replies from them with learning off), and nothing of them without.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expressionFor } from '../../src/bpf/expression';
import { parseConfig } from '../../src/config/parse';

const conf = (timeout: number, action: string) => `cache\n timeout ${timeout}\nend\ninterface up0\n rule 0.0.0.0/0 192.0.2.0/24 ${action}\n rule ::/0 2001:db8:1::/64 ${action}\nend\ninterface lan0\nend\n`;

test('filter: the probed interface passes NAs for the probed IPv6 prefix and, with learning off, ARP replies from the IPv4 one', () => {
  const lan = (timeout: number, action: string) => {
    const { config } = parseConfig(conf(timeout, action), 't.conf');
    return expressionFor(config.interfaces[1]!, config.cache)!;
  };
  const probed = lan(0, 'probe lan0');
  assert.match(probed, /ip6\[40\] = 136 and \(\(ip6\[48:4\] = 0x20010db8 and ip6\[52:4\] = 0x10000\)\)/);
  assert.match(probed, /arp\[6:2\] = 2 and \(\(arp\[14:4\] >= 0xc0000200 and arp\[14:4\] <= 0xc00002ff\)\)/);
  const plain = lan(0, 'self');
  assert.equal(plain, 'len < 0', 'nothing is asked on lan0: nothing passes');
});
