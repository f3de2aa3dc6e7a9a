// The package's main entry loads and exposes each module's face.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';

test('package main resolves and exports the engine, codecs, policy, configuration and filter tools', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pkg = require(join(__dirname, '..', '..', '..', 'package.json')) as { main: string };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const lib = require(join(__dirname, '..', '..', '..', pkg.main)) as Record<string, unknown>;
  for (const name of ['Ring', 'generate', 'compileFilter', 'runFilter', 'disassemble', 'readCapture', 'writePcap']) {
    assert.equal(typeof lib[name], 'function', name);
  }
  const wire = lib.wire as Record<string, unknown>;
  const policy = lib.policy as Record<string, unknown>;
  const config = lib.config as Record<string, unknown>;
  assert.equal(typeof wire.parseFrame, 'function');
  assert.equal(typeof policy.Policy, 'function');
  assert.equal(typeof config.parseConfig, 'function');
});
