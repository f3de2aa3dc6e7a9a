import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeXml, formatRate, logTicks, renderChart } from '../../bench/pps/chart';

const series = [
  { name: 'neighproxy-arp', points: [{ offered: 800_000, answered: 0.9 }, { offered: 100_000, answered: 1 }] },
  { name: 'kernel <arp>', points: [{ offered: 100_000, answered: 0.5 }] },
];

test('one polyline per responder, points sorted by offered rate, legend escaped', () => {
  const svg = renderChart(series, { title: 'share & rate', width: 700, height: 400 });
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /<\/svg>\n$/);
  const lines = [...svg.matchAll(/<polyline points="([^"]+)"/g)].map((m) => m[1]!);
  assert.equal(lines.length, 2);
  const xs = lines[0]!.split(' ').map((p) => Number(p.split(',')[0]));
  assert.ok(xs[0]! < xs[1]!, 'sorted left to right');
  assert.ok(svg.includes('kernel &lt;arp&gt;'));
  assert.ok(svg.includes('share &amp; rate'));
  assert.ok(!svg.includes('NaN'));
});

test('a fully answered point sits on the top edge, a half answered one in the middle', () => {
  const svg = renderChart([{ name: 'a', points: [{ offered: 1000, answered: 1 }, { offered: 10000, answered: 0.5 }] }], {
    width: 400,
    height: 300,
  });
  const cys = [...svg.matchAll(/<circle cx="[^"]+" cy="([^"]+)"/g)].map((m) => Number(m[1]));
  // top margin 40, plot height 300 - 40 - 52 = 208
  assert.equal(cys[0], 40);
  assert.equal(cys[1], 40 + 104);
});

test('log ticks are 1-2-5 steps', () => {
  assert.deepEqual(logTicks(10_000, 1_000_000), [10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000]);
});

test('rates print compactly', () => {
  assert.equal(formatRate(999), '999');
  assert.equal(formatRate(25_000), '25k');
  assert.equal(formatRate(1_250_000), '1.25M');
  assert.equal(formatRate(NaN), 'n/a');
  assert.equal(escapeXml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
});

test('empty series still render a valid frame', () => {
  const svg = renderChart([]);
  assert.match(svg, /<rect/);
  assert.ok(!svg.includes('NaN') && !svg.includes('Infinity'));
});
