#!/usr/bin/env node
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const entry = join(__dirname, '..', 'dist', 'apps', 'memsidecar', 'src', 'main.js');
if (!existsSync(entry)) {
  console.error('memsidecar is not built yet: run `npm run build` first.');
  process.exit(1);
}
require(entry).main();
