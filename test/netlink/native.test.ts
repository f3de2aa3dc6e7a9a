// native/netlink.cc's surface and its error paths. Opening a NETLINK_ROUTE socket needs no
// privilege; the namespace case needs root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { binding } from '../../src/engine/binding';
import type { NetlinkBinding, NetlinkHandle } from '../../src/netlink/socket';
import { NetlinkSocket } from '../../src/netlink/socket';
import { buildDump } from '../../src/netlink/message';
import * as C from '../../src/netlink/constants';

const nl = binding() as unknown as NetlinkBinding;
const fds = (): number => readdirSync('/proc/self/fd').length;

test('open, dump, close: the kernel answers a link dump; close is idempotent and frees the descriptor', async () => {
  const before = fds();
  const s = new NetlinkSocket({ groups: [C.RTNLGRP_LINK] }, { onEvent: () => {}, onOverrun: () => {}, onError: () => {} });
  assert.ok(s.portid > 0);
  const links = await s.request('dump links', (seq) => buildDump(C.RTM_GETLINK, seq, C.AF_UNSPEC));
  assert.ok(links.length >= 1 && links.every((m) => m.type === C.RTM_NEWLINK));
  s.close();
  s.close();
  for (let i = 0; i < 50; i++) nl.nl_close(nl.nl_open([], 0, '').handle);
  assert.equal(fds(), before, 'no descriptor left open');
});

test('error paths: wrong arguments are TypeErrors, a closed socket says so, a bad namespace has its errno', () => {
  assert.throws(() => nl.nl_open('x' as never, 0, ''), TypeError);
  assert.throws(() => nl.nl_send({} as NetlinkHandle, new Uint8Array(16)), /netlink handle/);
  const { handle } = nl.nl_open([], 0, '');
  assert.throws(() => nl.nl_start(handle, new Uint8Array(100), new Uint32Array(4), () => {}), /65536/);
  nl.nl_close(handle);
  assert.throws(() => nl.nl_send(handle, new Uint8Array(16)), (e: Error & { code?: string }) => e.code === 'ERR_NETLINK_CLOSED');
  assert.throws(() => nl.nl_open([], 0, '/nonexistent/netns'), (e: Error & { code?: string }) => e.code === 'ENOENT');
  assert.throws(() => nl.nl_open([100000], 0, ''), (e: Error & { code?: string }) => e.code === 'EINVAL' && /group 100000/.test(e.message));
});
