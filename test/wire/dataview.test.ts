// The DataView cache: the right bytes for each buffer, and no new DataView while a few
// buffers alternate (a per-frame allocation on the hot path otherwise).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DataViewCache } from '../../src/wire/dataview';

test('each buffer gets a DataView over exactly its bytes, reused while it stays in the cache', () => {
  const c = new DataViewCache();
  const backing = new ArrayBuffer(64);
  const bufs = Array.from({ length: DataViewCache.SIZE }, (_, i) => new Uint8Array(backing, i * 8, 8));
  bufs.forEach((b, i) => b.fill(i + 1));
  const first = bufs.map((b) => c.of(b));
  for (let round = 0; round < 3; round++) {
    for (let i = bufs.length - 1; i >= 0; i--) {
      const dv = c.of(bufs[i]!);
      assert.equal(dv, first[i], `buffer ${i} round ${round}: same DataView`);
      assert.equal(dv.byteOffset, i * 8);
      assert.equal(dv.byteLength, 8);
      assert.equal(dv.getUint8(0), i + 1);
    }
  }
  // Now bufs[0] is the most recently used and the last one the least. One more buffer
  // evicts the least recently used, which then gets a new view.
  const extra = new Uint8Array(4);
  c.of(extra);
  assert.equal(c.of(bufs[0]!), first[0], 'recently used: kept');
  const last = bufs.length - 1;
  const evicted = c.of(bufs[last]!);
  assert.notEqual(evicted, first[last], 'least recently used: evicted');
  assert.equal(evicted.getUint8(0), last + 1);
});
