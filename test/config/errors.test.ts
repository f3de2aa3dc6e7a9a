// Every row is a bad configuration and the exact messages an operator sees for it:
// FILE:LINE:COLUMN: found 'X', expected Y. The daemon must not start on any of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, MAX_REPORTED_ERRORS, loadConfig, parseConfig } from '../../src/config';

interface BadRow {
  name: string;
  text: string;
  code: string;
  messages: string[];
}

const BAD: BadRow[] = [
  {
    name: 'unknown keyword at top level',
    text: "frobnicate yes\n",
    code: 'E_CONFIG_SYNTAX',
    messages: [
      "bad.conf:1:1: found 'frobnicate', expected 'cache' or 'interface'",
    ],
  },
  {
    name: 'unknown keyword in interface',
    text: "interface eth0\n colour blue\nend\n",
    code: 'E_CONFIG_SYNTAX',
    messages: [
      "bad.conf:2:2: found 'colour', expected an interface setting: timeout, rule, static, pin, mac, vlan, promisc, allmulti, uplink, exception, router, override, dad, na-source, ring, limit, ha, table, vrf, end",
    ],
  },
  {
    name: 'unknown keyword in cache',
    text: "cache\n ttl 30\nend\n",
    code: 'E_CONFIG_SYNTAX',
    messages: [
      "bad.conf:2:2: found 'ttl', expected a cache setting: timeout, tablesize, refresh, delay, state-file, probe-alive-size, probe-absent-size, probe-rate, probe-burst, end",
    ],
  },
  {
    name: 'rule outside interface',
    text: "rule 0.0.0.0/0 0.0.0.0/0 tell\n",
    code: 'E_CONFIG_SYNTAX',
    messages: [
      "bad.conf:1:1: found 'rule', expected 'cache' or 'interface' ('rule' belongs inside an 'interface NAME' block)",
    ],
  },
  {
    name: 'end without block',
    text: "end\n",
    code: 'E_CONFIG_SYNTAX',
    messages: [
      "bad.conf:1:1: found 'end', expected 'cache' or 'interface' ('end' closes a block, and none is open)",
    ],
  },
  {
    name: 'missing end',
    text: "interface eth0\n rule 0.0.0.0/0 0.0.0.0/0 tell\n",
    code: 'E_CONFIG_SYNTAX',
    messages: [
      "bad.conf:3:1: found end of file, expected 'end' closing 'interface eth0' at line 1",
    ],
  },
  {
    name: 'forgotten end before next interface',
    text: "interface eth0\n rule 0.0.0.0/0 0.0.0.0/0 tell\ninterface eth1\n rule 0.0.0.0/0 0.0.0.0/0 tell\nend\n",
    code: 'E_CONFIG_SYNTAX',
    messages: [
      "bad.conf:3:1: found 'interface', expected 'end' closing 'interface eth0' at line 1",
    ],
  },
  {
    name: 'duplicate interface',
    text: "interface eth0\n rule 0.0.0.0/0 0.0.0.0/0 tell\nend\ninterface eth0\n rule 0.0.0.0/0 0.0.0.0/0 tell\nend\n",
    code: 'E_CONFIG_DUPLICATE',
    messages: [
      "bad.conf:4:11: found 'eth0', expected each interface once (first 'interface eth0' at line 1)",
    ],
  },
  {
    name: 'duplicate cache block',
    text: "cache\nend\ncache\nend\n",
    code: 'E_CONFIG_DUPLICATE',
    messages: [
      "bad.conf:3:1: found 'cache', expected one 'cache' block (first at line 1)",
    ],
  },
  {
    name: 'duplicate setting',
    text: "interface eth0\n router yes\n router no\nend\n",
    code: 'E_CONFIG_DUPLICATE',
    messages: [
      "bad.conf:3:2: found 'router', expected each setting once per interface (first 'router' at line 2)",
    ],
  },
  {
    name: 'interface without name',
    text: "interface\nend\n",
    code: 'E_CONFIG_SYNTAX',
    messages: [
      "bad.conf:1:10: found end of line, expected an interface name",
    ],
  },
  {
    name: 'interface name too long',
    text: "interface averyveryverylongname\nend\n",
    code: 'E_CONFIG_VALUE',
    messages: [
      "bad.conf:1:11: found 'averyveryverylongname', expected an interface name (1 to 15 characters, no space, / or :)",
    ],
  },
  {
    name: 'bad prefix',
    text: "interface eth0\n rule 198.51.100.0/33 0.0.0.0/0 tell\nend\n",
    code: 'E_CONFIG_VALUE',
    messages: [
      "bad.conf:2:7: found '198.51.100.0/33', expected a source prefix length from 0 to 32 (an IPv4 address has 32 bits)",
    ],
  },
  {
    name: 'not an address',
    text: "interface eth0\n rule clients 0.0.0.0/0 tell\nend\n",
    code: 'E_CONFIG_VALUE',
    messages: [
      "bad.conf:2:7: found 'clients', expected a source prefix: an IPv4 or IPv6 address, optionally with /LENGTH",
    ],
  },
  {
    name: 'host bits set',
    text: "interface eth0\n rule 0.0.0.0/0 198.51.100.1/24 tell\nend\n",
    code: 'E_CONFIG_VALUE',
    messages: [
      "bad.conf:2:17: found '198.51.100.1/24', expected a target prefix without host bits (did you mean 198.51.100.0/24?)",
    ],
  },
  {
    name: 'mixed families',
    text: "interface eth0\n rule 0.0.0.0/0 2001:db8::/32 tell\nend\n",
    code: 'E_CONFIG_VALUE',
    messages: [
      "bad.conf:2:17: found '2001:db8::/32', expected an IPv4 target like the source '0.0.0.0/0' (a rule is IPv4 or IPv6, not both)",
    ],
  },
  {
    name: 'missing target',
    text: "interface eth0\n rule 0.0.0.0/0\nend\n",
    code: 'E_CONFIG_SYNTAX',
    messages: [
      "bad.conf:2:16: found end of line, expected a target prefix",
    ],
  },
  {
    name: 'missing action',
    text: "interface eth0\n rule 0.0.0.0/0 198.51.100.0/24\nend\n",
    code: 'E_CONFIG_SYNTAX',
    messages: [
      "bad.conf:2:32: found end of line, expected an action: ignore, tell, self, route, an IP address (redirect), a MAC address, or template MAC/BITS",
    ],
  },
  {
    name: 'missing action after flags',
    text: "interface eth0\n rule 0.0.0.0/0 198.51.100.0/24 delay verbose\nend\n",
    code: 'E_CONFIG_SYNTAX',
    messages: [
      "bad.conf:2:46: found end of line, expected an action: ignore, tell, self, route, an IP address (redirect), a MAC address, or template MAC/BITS",
    ],
  },
  {
    name: 'unknown action',
    text: "interface eth0\n rule 0.0.0.0/0 198.51.100.0/24 answer\nend\n",
    code: 'E_CONFIG_SYNTAX',
    messages: [
      "bad.conf:2:33: found 'answer', expected an action: ignore, tell, self, route, an IP address (redirect), a MAC address, or template MAC/BITS",
    ],
  },
  {
    name: 'flag after action',
    text: "interface eth0\n rule 0.0.0.0/0 198.51.100.0/24 tell verbose\nend\n",
    code: 'E_CONFIG_SYNTAX',
    messages: [
      "bad.conf:2:38: found 'verbose', expected end of line (flags 'delay', 'verbose', 'probes' go before the action)",
    ],
  },
  {
    name: 'repeated flag',
    text: "interface eth0\n rule 0.0.0.0/0 198.51.100.0/24 delay delay tell\nend\n",
    code: 'E_CONFIG_DUPLICATE',
    messages: [
      "bad.conf:2:39: found 'delay', expected each flag once",
    ],
  },
  {
    name: 'redirect to other family',
    text: "interface eth0\n rule 0.0.0.0/0 198.51.100.0/24 2001:db8::1\nend\n",
    code: 'E_CONFIG_VALUE',
    messages: [
      "bad.conf:2:33: found '2001:db8::1', expected an IPv4 address to redirect to (the rule's family)",
    ],
  },
  {
    name: 'bad MAC action',
    text: "interface eth0\n rule 0.0.0.0/0 198.51.100.0/24 02:00:5e:00:53:zz\nend\n",
    code: 'E_CONFIG_VALUE',
    messages: [
      "bad.conf:2:33: found '02:00:5e:00:53:zz', expected a MAC address like 02:00:5e:00:53:01",
    ],
  },
  {
    name: 'multicast MAC action',
    text: "interface eth0\n rule 0.0.0.0/0 198.51.100.0/24 01:00:5e:00:00:01\nend\n",
    code: 'E_CONFIG_VALUE',
    messages: [
      "bad.conf:2:33: found '01:00:5e:00:00:01', expected a unicast MAC address (not zero, group bit clear)",
    ],
  },
  {
    name: 'bad refresh syntax',
    text: "cache\n refresh 3x5\nend\n",
    code: 'E_CONFIG_SYNTAX',
    messages: [
      "bad.conf:2:10: found '3x5', expected RETRIES*SECONDS, like 3*5",
    ],
  },
  {
    name: 'zero refresh interval',
    text: "cache\n refresh 3*0\nend\n",
    code: 'E_CONFIG_VALUE',
    messages: [
      "bad.conf:2:10: found '3*0', expected RETRIES*SECONDS with RETRIES >= 0 and SECONDS > 0",
    ],
  },
  {
    name: 'zero delay count',
    text: "cache\n delay 0*3\nend\n",
    code: 'E_CONFIG_VALUE',
    messages: [
      "bad.conf:2:8: found '0*3', expected COUNT*SECONDS with COUNT >= 1 and SECONDS > 0",
    ],
  },
  {
    name: 'zero tablesize',
    text: "cache\n tablesize 0\nend\n",
    code: 'E_CONFIG_VALUE',
    messages: [
      "bad.conf:2:12: found '0', expected the maximum number of entries (a whole number of at least 1)",
    ],
  },
  {
    name: 'negative cache timeout',
    text: "cache\n timeout -5\nend\n",
    code: 'E_CONFIG_VALUE',
    messages: [
      "bad.conf:2:10: found '-5', expected the entry lifetime in seconds (a whole number)",
    ],
  },
  {
    name: 'zero interface timeout',
    text: "interface eth0\n timeout 0\n rule 0.0.0.0/0 0.0.0.0/0 tell\nend\n",
    code: 'E_CONFIG_VALUE',
    messages: [
      "bad.conf:2:10: found '0', expected seconds to hold an answer waiting for a MAC (a number greater than 0, like 1.5)",
    ],
  },
  {
    name: 'missing value',
    text: "cache\n timeout\nend\n",
    code: 'E_CONFIG_SYNTAX',
    messages: [
      "bad.conf:2:9: found end of line, expected the entry lifetime in seconds",
    ],
  },
  {
    name: 'extra value',
    text: "cache\n timeout 30 seconds\nend\n",
    code: 'E_CONFIG_SYNTAX',
    messages: [
      "bad.conf:2:13: found 'seconds', expected end of line",
    ],
  },
  {
    name: 'bad VLAN range',
    text: "interface eth0\n vlan 210-200\n rule 0.0.0.0/0 0.0.0.0/0 tell\nend\n",
    code: 'E_CONFIG_VALUE',
    messages: [
      "bad.conf:2:7: found '210-200', expected a VLAN range LOW-HIGH with 1 <= LOW <= HIGH <= 4094",
    ],
  },
  {
    name: 'VLAN id out of range',
    text: "interface eth0\n vlan 4095\n rule 0.0.0.0/0 0.0.0.0/0 tell\nend\n",
    code: 'E_CONFIG_VALUE',
    messages: [
      "bad.conf:2:7: found '4095', expected a VLAN id from 1 to 4094",
    ],
  },
  {
    name: 'VLAN not a number',
    text: "interface eth0\n vlan 100,tagged\n rule 0.0.0.0/0 0.0.0.0/0 tell\nend\n",
    code: 'E_CONFIG_SYNTAX',
    messages: [
      "bad.conf:2:11: found 'tagged', expected a VLAN id 1-4094, a range LOW-HIGH, or untagged",
    ],
  },
  {
    name: 'template without bits',
    text: "interface eth0\n rule 0.0.0.0/0 198.51.100.0/24 template fe:fd:fd:fd:fd:00\nend\n",
    code: 'E_CONFIG_SYNTAX',
    messages: [
      "bad.conf:2:42: found 'fe:fd:fd:fd:fd:00', expected a MAC template BASE/BITS like fe:fd:fd:fd:fd:00/8 (BITS 8, 16, 24, 32 or 40)",
    ],
  },
  {
    name: 'template bits not whole bytes',
    text: "interface eth0\n rule 0.0.0.0/0 198.51.100.0/24 template fe:fd:fd:fd:fd:00/12\nend\n",
    code: 'E_CONFIG_VALUE',
    messages: [
      "bad.conf:2:42: found 'fe:fd:fd:fd:fd:00/12', expected a MAC template BASE/BITS like fe:fd:fd:fd:fd:00/8 (BITS 8, 16, 24, 32 or 40)",
    ],
  },
  {
    name: 'template base with address bits set',
    text: "interface eth0\n rule 0.0.0.0/0 198.51.100.0/24 template fe:fd:fd:fd:fd:01/8\nend\n",
    code: 'E_CONFIG_VALUE',
    messages: [
      "bad.conf:2:42: found 'fe:fd:fd:fd:fd:01/8', expected a template whose low 8 bits are zero (they come from the address)",
    ],
  },
  {
    name: 'template multicast base (the tinc proposal used fd:)',
    text: "interface eth0\n rule 0.0.0.0/0 198.51.100.0/24 template fd:fd:fd:fd:fd:00/8\nend\n",
    code: 'E_CONFIG_VALUE',
    messages: [
      "bad.conf:2:42: found 'fd:fd:fd:fd:fd:00/8', expected a template with a unicast base (group bit clear)",
    ],
  },
  {
    name: 'template wider than IPv4',
    text: "interface eth0\n rule 0.0.0.0/0 198.51.100.0/24 template fe:00:00:00:00:00/40\nend\n",
    code: 'E_CONFIG_VALUE',
    messages: [
      "bad.conf:2:42: found 'fe:00:00:00:00:00/40', expected a template taking at most 32 bits from an IPv4 address",
    ],
  },
  {
    name: 'template missing',
    text: "interface eth0\n rule 0.0.0.0/0 198.51.100.0/24 template\nend\n",
    code: 'E_CONFIG_SYNTAX',
    messages: [
      "bad.conf:2:41: found end of line, expected a MAC template BASE/BITS like fe:fd:fd:fd:fd:00/8",
    ],
  },
  {
    name: 'uplink not IPv6',
    text: "interface eth0\n uplink 192.0.2.1\n rule ::/0 2001:db8::/64 self\nend\n",
    code: 'E_CONFIG_VALUE',
    messages: [
      "bad.conf:2:9: found '192.0.2.1', expected an IPv6 address (uplink is an IPv6 setting)",
    ],
  },
  {
    name: 'uplink not an address',
    text: "interface eth0\n uplink router\n rule ::/0 2001:db8::/64 self\nend\n",
    code: 'E_CONFIG_VALUE',
    messages: [
      "bad.conf:2:9: found 'router', expected an IPv6 address for uplink",
    ],
  },
  {
    name: 'exception with prefix',
    text: "interface eth0\n exception 2001:db8::/64\n rule ::/0 2001:db8::/64 self\nend\n",
    code: 'E_CONFIG_VALUE',
    messages: [
      "bad.conf:2:12: found '2001:db8::/64', expected an IPv6 address (a single address, not a prefix)",
    ],
  },
  {
    name: 'bad yes/no',
    text: "interface eth0\n promisc sometimes\n rule 0.0.0.0/0 0.0.0.0/0 tell\nend\n",
    code: 'E_CONFIG_SYNTAX',
    messages: [
      "bad.conf:2:10: found 'sometimes', expected 'yes' or 'no'",
    ],
  },
  {
    name: 'bad dad',
    text: "interface eth0\n dad protect\n rule ::/0 2001:db8::/64 self\nend\n",
    code: 'E_CONFIG_SYNTAX',
    messages: [
      "bad.conf:2:6: found 'protect', expected 'defend' or 'ignore'",
    ],
  },
  {
    name: 'bad na-source',
    text: "interface eth0\n na-source global\n rule ::/0 2001:db8::/64 self\nend\n",
    code: 'E_CONFIG_SYNTAX',
    messages: [
      "bad.conf:2:12: found 'global', expected 'link-local' or 'target'",
    ],
  },
  {
    name: 'bad interface mac',
    text: "interface eth0\n mac 02:00:5e:00:53\n rule 0.0.0.0/0 0.0.0.0/0 self\nend\n",
    code: 'E_CONFIG_VALUE',
    messages: [
      "bad.conf:2:6: found '02:00:5e:00:53', expected a MAC address of 6 bytes like 02:00:5e:00:53:01 (this has 5)",
    ],
  },
  {
    name: 'static without MAC',
    text: "interface eth0\n static 198.51.100.7\nend\n",
    code: 'E_CONFIG_SYNTAX',
    messages: [
      "bad.conf:2:21: found end of line, expected a MAC address",
    ],
  },
  {
    name: 'static bad flag',
    text: "interface eth0\n static 198.51.100.7 02:00:5e:00:53:07 announced\nend\n",
    code: 'E_CONFIG_SYNTAX',
    messages: [
      "bad.conf:2:40: found 'announced', expected 'announce' or end of line",
    ],
  },
  {
    name: 'duplicate static',
    text: "interface eth0\n static 198.51.100.7 02:00:5e:00:53:07\n static 198.51.100.7 02:00:5e:00:53:08\nend\n",
    code: 'E_CONFIG_DUPLICATE',
    messages: [
      "bad.conf:3:9: found '198.51.100.7', expected each static address once per interface (first at line 2)",
    ],
  },
  // Issue 15: specific messages and suggestions.
  {
    name: 'misspelt action: did you mean',
    text: "interface eth0\n rule 0.0.0.0/0 0.0.0.0/0 slef\nend\n",
    code: 'E_CONFIG_SYNTAX',
    messages: [
      "bad.conf:2:27: found 'slef', expected an action: ignore, tell, self, route, an IP address (redirect), a MAC address, or template MAC/BITS (did you mean 'self'?)",
    ],
  },
  {
    name: 'misspelt flag in the action position',
    text: "interface eth0\n rule 0.0.0.0/0 0.0.0.0/0 verbos tell\nend\n",
    code: 'E_CONFIG_SYNTAX',
    messages: [
      "bad.conf:2:27: found 'verbos', expected an action: ignore, tell, self, route, an IP address (redirect), a MAC address, or template MAC/BITS (did you mean the flag 'verbose'? flags go before the action)",
    ],
  },
  {
    name: "misspelt 'interface' is one error, and its block is still read",
    text: "interfce eth0\n rule 0.0.0.0/0 0.0.0.0/0 tell\n rule 0.0.0.0/0 0.0.0.0/0 tel\nend\n",
    code: 'E_CONFIG_SYNTAX',
    messages: [
      "bad.conf:1:1: found 'interfce', expected 'cache' or 'interface' (did you mean 'interface'?)",
      "bad.conf:3:27: found 'tel', expected an action: ignore, tell, self, route, an IP address (redirect), a MAC address, or template MAC/BITS (did you mean 'tell'?)",
    ],
  },
  {
    name: 'unknown block keyword: its lines are skipped up to end',
    text: "frobnicate eth0\n rule 0.0.0.0/0 0.0.0.0/0 tell\n static 198.51.100.7 02:00:5e:00:53:07\nend\ninterface eth0\n colr blue\nend\n",
    code: 'E_CONFIG_SYNTAX',
    messages: [
      "bad.conf:1:1: found 'frobnicate', expected 'cache' or 'interface'",
      "bad.conf:6:2: found 'colr', expected an interface setting: timeout, rule, static, pin, mac, vlan, promisc, allmulti, uplink, exception, router, override, dad, na-source, ring, limit, ha, table, vrf, end",
    ],
  },
  {
    name: 'misspelt interface and cache settings',
    text: "cache\n tablesise 4\nend\ninterface eth0\n statc 198.51.100.7 02:00:5e:00:53:07\n promisc ys\nend\n",
    code: 'E_CONFIG_SYNTAX',
    messages: [
      "bad.conf:2:2: found 'tablesise', expected a cache setting: timeout, tablesize, refresh, delay, state-file, probe-alive-size, probe-absent-size, probe-rate, probe-burst, end (did you mean 'tablesize'?)",
      "bad.conf:5:2: found 'statc', expected an interface setting: timeout, rule, static, pin, mac, vlan, promisc, allmulti, uplink, exception, router, override, dad, na-source, ring, limit, ha, table, vrf, end (did you mean 'static'?)",
      "bad.conf:6:10: found 'ys', expected 'yes' or 'no' (did you mean 'yes'?)",
    ],
  },
  {
    name: "malformed IPv6 ':::'",
    text: "interface eth0\n rule 2001:db8:::/64 ::/0 tell\nend\n",
    code: 'E_CONFIG_VALUE',
    messages: [
      "bad.conf:2:7: found '2001:db8:::/64', expected a source prefix: an IPv6 address (':::' is not allowed: '::' stands for one run of zero groups)",
    ],
  },
  {
    name: 'malformed IPv6: two ::, a long group, too many groups, a bad IPv4 tail',
    text: "interface eth0\n rule ::/0 2001::db8::/64 tell\n rule ::/0 2001:db8:12345::/64 tell\n uplink 1:2:3:4:5:6:7:8:9\n exception ::ffff:192.0.2.300\nend\n",
    code: 'E_CONFIG_VALUE',
    messages: [
      "bad.conf:2:12: found '2001::db8::/64', expected a target prefix: an IPv6 address ('::' may appear only once)",
      "bad.conf:3:12: found '2001:db8:12345::/64', expected a target prefix: an IPv6 address (group '12345' has more than 4 hex digits)",
      "bad.conf:4:9: found '1:2:3:4:5:6:7:8:9', expected an IPv6 address for uplink (9 groups and no '::': an IPv6 address has 8)",
      "bad.conf:5:12: found '::ffff:192.0.2.300', expected an IPv6 address for exception (the embedded IPv4 part '192.0.2.300' is not an IPv4 address)",
    ],
  },
  {
    name: 'prefix lengths out of range, both families',
    text: "interface eth0\n rule ::/0 2001:db8::/129 tell\n rule 0.0.0.0/0 198.51.100.0/33 tell\n rule 0.0.0.0/x 0.0.0.0/0 tell\nend\n",
    code: 'E_CONFIG_VALUE',
    messages: [
      "bad.conf:2:12: found '2001:db8::/129', expected a target prefix length from 0 to 128 (an IPv6 address has 128 bits)",
      "bad.conf:3:17: found '198.51.100.0/33', expected a target prefix length from 0 to 32 (an IPv4 address has 32 bits)",
      "bad.conf:4:7: found '0.0.0.0/x', expected a source prefix length after '/': a whole number from 0 to 32",
    ],
  },
  {
    name: 'MACs of the wrong length (static, action)',
    text: "interface eth0\n static 198.51.100.7 02:00:5e:00:53\n rule 0.0.0.0/0 0.0.0.0/0 02:00:5e:00:53:07:01\n static 198.51.100.300 02:00:5e:00:53:07\nend\n",
    code: 'E_CONFIG_VALUE',
    messages: [
      "bad.conf:2:22: found '02:00:5e:00:53', expected a MAC address of 6 bytes like 02:00:5e:00:53:01 (this has 5)",
      "bad.conf:3:27: found '02:00:5e:00:53:07:01', expected a MAC address of 6 bytes like 02:00:5e:00:53:01 (this has 7)",
      "bad.conf:4:9: found '198.51.100.300', expected an IPv4 or IPv6 address ('300' is over 255)",
    ],
  },
  // Issue 12: check = run. What run cannot hold is an error here, with its position.
  {
    name: 'interface name of 15 characters but 16 bytes',
    text: "interface kunde-m\u00fcller-01\n rule 0.0.0.0/0 0.0.0.0/0 tell\nend\n",
    code: 'E_CONFIG_LIMIT',
    messages: [
      "bad.conf:1:11: found 'kunde-m\u00fcller-01', expected an interface name of at most 15 bytes (Linux IFNAMSIZ): it has 15 characters but 16 bytes of UTF-8",
    ],
  },
  {
    name: 'interface names the kernel refuses: NUL, a control character, byte 0xa0, . and /',
    text: "interface eth\u00000\nend\ninterface a\u0007b\nend\ninterface citt\u00e0\nend\ninterface ..\nend\ninterface eth/0\nend\n",
    code: 'E_CONFIG_LIMIT',
    messages: [
      "bad.conf:1:11: found 'eth\\x000', expected an interface name without control characters (found U+0000 at character 4)",
      "bad.conf:3:11: found 'a\\x07b', expected an interface name without control characters (found U+0007 at character 2)",
      "bad.conf:5:11: found 'citt\u00e0', expected an interface name the kernel accepts: '\u00e0' is encoded with byte 0xa0, which Linux counts as white space",
      "bad.conf:7:11: found '..', expected an interface name (1 to 15 characters, no space, / or :)",
      "bad.conf:9:11: found 'eth/0', expected an interface name (1 to 15 characters, no space, / or :)",
    ],
  },
  {
    name: 'tablesize beyond what the cache can allocate',
    text: "cache\n tablesize 1000000000\nend\n",
    code: 'E_CONFIG_LIMIT',
    messages: [
      "bad.conf:2:12: found '1000000000', expected the maximum number of entries, at most 16777216 (about 114 bytes each: this would need 107 GiB, the most 1.78 GiB)",
    ],
  },
  // Issue 11: the ring setting.
  {
    name: 'ring: bad frame size, zero frames, too many frames, unknown word',
    text: "interface eth0\n ring framesize 1000\nend\ninterface eth1\n ring rx 0\nend\ninterface eth2\n ring tx 2000000\nend\ninterface eth3\n ring frames 8192\nend\n",
    code: 'E_CONFIG_VALUE',
    messages: [
      "bad.conf:2:17: found '1000', expected a frame size in bytes: a power of two from 128 to 65536 (frames tile 4 KiB blocks)",
      "bad.conf:5:10: found '0', expected the receive ring's frame count (a whole number from 1 to 1048576)",
      "bad.conf:8:10: found '2000000', expected the transmit ring's frame count (a whole number from 1 to 1048576)",
      "bad.conf:11:7: found 'frames', expected 'rx FRAMES', 'tx FRAMES', 'framesize BYTES' or 'pace PPS'",
    ],
  },
  {
    name: 'ring: more than 1 GiB, a repeated part, a missing value',
    text: "interface eth0\n ring rx 65536 framesize 16384\nend\ninterface eth1\n ring rx 8 rx 16\nend\ninterface eth2\n ring tx\nend\n",
    code: 'E_CONFIG_LIMIT',
    messages: [
      "bad.conf:2:2: found 'ring', expected rings of at most 1 GiB per interface (RX plus TX; this is rx 65536 x 16384 B = 1 GiB, tx 4096 (default) x 16384 B = 64 MiB: 1.06 GiB per interface)",
      "bad.conf:5:12: found 'rx', expected each of 'rx', 'tx', 'framesize' and 'pace' once",
      "bad.conf:8:9: found end of line, expected a number of frames",
    ],
  },
  {
    name: 'ring pace: below the least useful rate, a word, a fraction, too high, repeated, missing',
    text: "interface eth0\n ring pace 999\nend\ninterface eth1\n ring pace fast\nend\ninterface eth2\n ring pace 1.5\nend\n" +
      "interface eth3\n ring rx 8192 pace 20000000\nend\ninterface eth4\n ring pace off pace 5000\nend\ninterface eth5\n ring rx 64 pace\nend\n" +
      "interface eth6\n ring pace -1\nend\ninterface eth7\n ring pace offf\nend\n",
    code: 'E_CONFIG_VALUE',
    messages: [
      "bad.conf:2:12: found '999', expected the frames/s from which small batches wait 1 ms (a whole number from 1000 to 10000000), or 'off' (0)",
      "bad.conf:5:12: found 'fast', expected the frames/s from which small batches wait 1 ms (a whole number from 1000 to 10000000), or 'off' (0)",
      "bad.conf:8:12: found '1.5', expected the frames/s from which small batches wait 1 ms (a whole number from 1000 to 10000000), or 'off' (0)",
      "bad.conf:11:20: found '20000000', expected the frames/s from which small batches wait 1 ms (a whole number from 1000 to 10000000), or 'off' (0)",
      "bad.conf:14:16: found 'pace', expected each of 'rx', 'tx', 'framesize' and 'pace' once",
      "bad.conf:17:17: found end of line, expected a rate in frames/s, or 'off'",
      "bad.conf:20:12: found '-1', expected the frames/s from which small batches wait 1 ms (a whole number from 1000 to 10000000), or 'off' (0)",
      "bad.conf:23:12: found 'offf', expected the frames/s from which small batches wait 1 ms (a whole number from 1000 to 10000000), or 'off' (0)",
    ],
  },
];

function errorOf(text: string, file = 'bad.conf'): ConfigError {
  try {
    parseConfig(text, file);
  } catch (err) {
    assert.ok(err instanceof ConfigError, 'parseConfig throws ConfigError');
    return err;
  }
  assert.fail('expected the configuration to be rejected');
}

test('the table has at least 20 bad configurations', () => {
  assert.ok(BAD.length >= 20);
});

for (const row of BAD) {
  test(`rejects: ${row.name}`, () => {
    const err = errorOf(row.text);
    assert.equal(err.code, row.code);
    assert.deepEqual(err.errors.map((e) => e.message), row.messages);
    const first = err.errors[0]!;
    const m = /^bad\.conf:(\d+):(\d+): found /.exec(first.message);
    assert.ok(m, first.message);
    assert.equal(first.file, 'bad.conf');
    assert.equal(first.line, Number(m[1]));
    assert.equal(first.column, Number(m[2]));
    assert.equal(err.message, row.messages.join('\n'));
  });
}

test('ring pace above the bound is E_CONFIG_LIMIT, a bad word E_CONFIG_VALUE', () => {
  assert.equal(errorOf('interface eth0\n ring pace 10000001\nend\n').code, 'E_CONFIG_LIMIT');
  assert.equal(errorOf('interface eth0\n ring pace 999\nend\n').code, 'E_CONFIG_VALUE');
  assert.equal(errorOf('interface eth0\n ring pace on\nend\n').code, 'E_CONFIG_VALUE');
});

test('every error of a file is reported, in file order, not just the first', () => {
  const err = errorOf(
    'cache\n tablesize 0\n refresh 3x5\nend\ninterface eth0\n rule 0.0.0.0/0 2001:db8::/32 tell\n vlan 0\n rule 0.0.0.0/0 0.0.0.0/0 answer\nend\nend\n',
  );
  assert.deepEqual(
    err.errors.map((e) => `${e.line}:${e.code}`),
    ['2:E_CONFIG_VALUE', '3:E_CONFIG_SYNTAX', '6:E_CONFIG_VALUE', '7:E_CONFIG_VALUE', '8:E_CONFIG_SYNTAX', '10:E_CONFIG_SYNTAX'],
  );
  assert.equal(err.total, 6);
  assert.equal(err.code, 'E_CONFIG_VALUE'); // the first problem's code
  assert.equal(err.line, 2);
});

test('at most MAX_REPORTED_ERRORS are listed; the rest are counted', () => {
  const lines = ['interface eth0'];
  for (let i = 0; i < 30; i++) lines.push(' rule 0.0.0.0/0 0.0.0.0/0 shout');
  lines.push('end');
  const err = errorOf(lines.join('\n'));
  assert.equal(err.total, 30);
  assert.equal(err.errors.length, MAX_REPORTED_ERRORS);
  const out = err.message.split('\n');
  assert.equal(out.length, MAX_REPORTED_ERRORS + 1);
  assert.equal(out[out.length - 1], 'bad.conf: 10 more errors not shown (30 in total)');
});

test('an unreadable file is E_CONFIG_IO carrying the OS error code', () => {
  assert.throws(
    () => loadConfig('/nonexistent/neighproxy.conf'),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.code === 'E_CONFIG_IO' &&
      e.osCode === 'ENOENT' &&
      e.file === '/nonexistent/neighproxy.conf' &&
      e.message === '/nonexistent/neighproxy.conf: cannot read configuration: ENOENT (no such file)',
  );
  assert.throws(() => loadConfig('/'), (e: unknown) => e instanceof ConfigError && e.osCode === 'EISDIR');
});
