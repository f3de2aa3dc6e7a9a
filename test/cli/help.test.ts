import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runHelp } from '../../src/cli/commands/help';
import { command as check } from '../../src/cli/commands/check';
import { command as importNdppd } from '../../src/cli/commands/import-ndppd';
import { CONFIG_REFERENCE } from '../../src/config/reference';
import { CACHE_KEYWORDS, INTERFACE_KEYWORDS, RULE_FLAGS, SIMPLE_ACTIONS } from '../../src/config/parse';
import { capture } from './fixtures/capture';

const ROOT = join(__dirname, '..', '..', '..');

test("'help' lists the config topic and every command", async () => {
  const { io, out } = capture();
  assert.equal(await runHelp([], io), 0);
  for (const t of ['config', 'check', 'help', 'import-ndppd', 'version']) assert.match(out.stdout, new RegExp(`\\n  ${t} +\\S`));
});

test("'help config' prints the language reference", async () => {
  const { io, out } = capture();
  assert.equal(await runHelp(['config'], io), 0);
  assert.equal(out.stdout, CONFIG_REFERENCE);
});

test("'help COMMAND' prints what 'COMMAND --help' prints", async () => {
  for (const [name, cmd] of [['check', check], ['import-ndppd', importNdppd]] as const) {
    const { io, out } = capture();
    assert.equal(await runHelp([name], io), 0);
    assert.equal(out.stdout, `${cmd.usage}\n`);
  }
  const { io, out } = capture();
  assert.equal(await runHelp(['nosuch'], io), 2);
  assert.match(out.stderr, /no topic 'nosuch'/);
});

test('the reference and the README name every keyword, flag and action the parser knows', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const docs = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1));
  const words = [...CACHE_KEYWORDS, ...INTERFACE_KEYWORDS, ...RULE_FLAGS, ...SIMPLE_ACTIONS, 'template', 'cache', 'interface',
    'announce', 'defend', 'link-local', 'untagged', 'any'];
  for (const w of words) {
    assert.match(CONFIG_REFERENCE, new RegExp(`(^|[\\s'[|])${w}\\b`, 'm'), `reference lacks ${w}`);
    assert.match(docs, new RegExp(`\`[^\`]*\\b${w}\\b[^\`]*\``), `README's Configuration section lacks ${w}`);
  }
});
