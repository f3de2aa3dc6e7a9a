// net/ethertypes against the kernel's own header (linux/if_ether.h), when it is installed:
// every exported name must be defined there with the same value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as ethertypes from '../../src/net/ethertypes';

const HEADER = '/usr/include/linux/if_ether.h';

test('every ETH_P_* equals linux/if_ether.h', { skip: existsSync(HEADER) ? false : `needs ${HEADER} (apt-get install -y linux-libc-dev)` }, () => {
  const text = readFileSync(HEADER, 'utf8');
  const names = Object.keys(ethertypes);
  assert.ok(names.length >= 7);
  for (const name of names) {
    const m = new RegExp(`^#define\\s+${name}\\s+(0x[0-9a-fA-F]+)`, 'm').exec(text);
    assert.ok(m, `${name} is in ${HEADER}`);
    assert.equal((ethertypes as Record<string, number>)[name], parseInt(m[1]!, 16), name);
  }
});
