// neighproxy(8) and neighproxy.conf(5) are generated from the help texts; they must name
// every word of the language and every command an installed copy has, and render.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configPage, daemonPage, manPages, roff } from '../../src/cli/man';
import { CACHE_KEYWORDS, INTERFACE_KEYWORDS, RULE_FLAGS, SIMPLE_ACTIONS } from '../../src/config/parse';
import { command as check } from '../../src/cli/commands/check';
import { command as importParpd } from '../../src/cli/commands/import-parpd';

/** The words a reader sees: font changes dropped, escapes undone. */
const plain = (page: string): string => page.replace(/\\f[BIR]/g, '').replace(/\\-/g, '-').replace(/\\e/g, '\\').replace(/\\&/g, '');

const WORDS = [...CACHE_KEYWORDS, ...INTERFACE_KEYWORDS, ...RULE_FLAGS, ...SIMPLE_ACTIONS, 'template', 'cache', 'interface',
  'announce', 'defend', 'link-local', 'untagged', 'any'];

test('both pages name every keyword, flag and action the parser knows', () => {
  for (const page of manPages()) {
    const text = plain(page.text);
    for (const w of WORDS) assert.match(text, new RegExp(`(^|[\\s'[|,(])${w}\\b`, 'm'), `${page.file} lacks ${w}`);
  }
});

test('neighproxy(8) carries each command and its --help; not bench, which an installed copy lacks', () => {
  const text = plain(daemonPage().text);
  for (const cmd of [check, importParpd]) {
    assert.ok(text.includes(cmd.summary), cmd.summary);
    for (const line of cmd.usage.split('\n')) assert.ok(text.includes(line), `usage line '${line}'`);
  }
  for (const name of ['check', 'ctl', 'demo', 'filter', 'help', 'import-kernel', 'import-ndppd', 'import-parpd', 'replay', 'run']) {
    assert.match(text, new RegExp(`^\\.SS\\n${name}$`, 'm'), name);
  }
  assert.doesNotMatch(text, /^\.SS\nbench$/m);
});

test('neighproxy.conf(5) is help config as tagged paragraphs: a term per keyword, its meaning after', () => {
  const page = configPage().text;
  assert.match(page, /^\.TH NEIGHPROXY\.CONF 5 /m);
  assert.match(page, /^\.SS\n\\fBinterface NAME\\fR$/m);
  assert.match(page, /^\.TP\n\\fBtablesize 65536\\fR\nmost entries kept/m);
  assert.match(page, /^\.TP\n\\fBtemplate BASE\/BITS\\fR\na MAC made from the target/m);
  // roff: no text line may start with a control character, hyphens are escaped.
  assert.equal(roff(".x 'y a-b \\"), "\\&.x 'y a\\-b \\e");
  for (const p of manPages()) {
    for (const l of p.text.split('\n')) assert.ok(!/^['.](?!\\"|TH |SH |SS|PP|TP|nf|fi|RS|RE|br)/.test(l), `${p.file}: '${l}'`);
  }
});

const groff = (() => {
  try {
    execFileSync('groff', ['--version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'needs groff (Debian groff-base; .ci/run installs it)';
  }
})();

test('the pages render with groff -man without a warning', { skip: groff }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'np-man-'));
  try {
    for (const p of manPages()) {
      const f = join(dir, p.file);
      writeFileSync(f, p.text);
      const out = execFileSync('sh', ['-c', 'groff -man -ww -Tutf8 "$1" 2>&1 >/dev/null; groff -man -Tascii -P-cbou "$1"', 'sh', f], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '80' } });
      const [warnings, rendered] = [out.slice(0, out.indexOf('NEIGHPROXY')), out.slice(out.indexOf('NEIGHPROXY'))];
      assert.equal(warnings.trim(), '', `${p.file}: groff warnings`);
      assert.match(rendered, /^NAME\n\s+neighproxy/m, p.file);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
