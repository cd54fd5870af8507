#!/usr/bin/env node
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS entry point, run by node itself */
/* global require, __dirname, process */
// `npx starter …` in the repo, or `starter …` anywhere after `npm link`: the TypeScript CLI
// (src/starter.ts) run through tsx, which `npm ci` installs. An install without dev dependencies has
// no tsx: then the compiled CLI from `npm run build` (dist/src/starter.js). Exit codes as src/starter.ts says.
const path = require('node:path');
let entry;
try {
  require('tsx/cjs/api').register();
  entry = path.join(__dirname, '..', 'src', 'starter.ts');
} catch {
  entry = path.join(__dirname, '..', 'dist', 'src', 'starter.js');
}
const { main } = require(entry);
main(process.argv).then((code) => process.exit(code));
