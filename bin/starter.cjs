#!/usr/bin/env node
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS entry point, run by node itself */
/* global require, __dirname, process */
// `npx starter …` in the repo, or `starter …` anywhere after `npm link`. It runs the compiled CLI
// (dist/src/starter.js, from `npm run build:cli` or `npm run build`) when that is at least as new as
// every file under src/: plain JavaScript starts several times faster than the TypeScript source
// through tsx. Otherwise (or with STARTER_FROM_SOURCE set) the source runs through tsx, so an edit is
// never run stale. An install without dev dependencies has no tsx: then the compiled CLI. Exit codes as
// src/starter.ts says.
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const compiled = path.join(root, 'dist', 'src', 'starter.js');

/** The newest modification time of the files under `dir` (milliseconds; 0 for an empty or absent dir). */
function newestUnder(dir) {
  let newest = 0;
  let entries = [];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const file = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestUnder(file) : fs.statSync(file).mtimeMs);
  }
  return newest;
}

function compiledIsCurrent() {
  try {
    return fs.statSync(compiled).mtimeMs >= newestUnder(path.join(root, 'src'));
  } catch {
    return false;
  }
}

let entry = compiled;
if (process.env.STARTER_FROM_SOURCE || !compiledIsCurrent()) {
  try {
    // Both hooks: require() of the source, and import() of what a command loads when it runs.
    require('tsx/cjs/api').register();
    require('tsx/esm/api').register();
    entry = path.join(root, 'src', 'starter.ts');
  } catch {
    // No tsx (production install): the compiled CLI, as built.
  }
}
// A reader that stops early (`starter list | head`) is not an error worth a stack trace.
process.stdout.on('error', (e) => process.exit(e.code === 'EPIPE' ? 0 : 1));
const { main } = require(entry);
main(process.argv).then((code) => process.exit(code));
