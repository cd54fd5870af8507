#!/usr/bin/env node
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS entry point, run by node itself */
/* global require, __dirname, process */
// `npx starter …` in the repo, or `starter …` anywhere after `npm link`: the TypeScript CLI
// (src/starter.ts) run through tsx, which `npm ci` installs. Exit codes as src/starter.ts documents.
const path = require('node:path');
require('tsx/cjs/api').register();
const { main } = require(path.join(__dirname, '..', 'src', 'starter.ts'));
main(process.argv).then((code) => process.exit(code));
