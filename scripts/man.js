#!/usr/bin/env node
// Writes man/neighproxy.8 and man/neighproxy.conf.5 from the compiled help texts
// (dist/src/cli/man.js); run by `npm run man` and by `prepack`.
'use strict';
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { manPages } = require('../dist/src/cli/man.js');

const dir = join(__dirname, '..', 'man');
mkdirSync(dir, { recursive: true });
for (const page of manPages()) {
  writeFileSync(join(dir, page.file), page.text);
  process.stderr.write(`man/${page.file}\n`);
}
