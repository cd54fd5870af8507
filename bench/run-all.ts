/** `npm run bench [-- --quick]`: every benchmark in turn, each printing its own table. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const benches = ['overhead.ts', 'api-economy.ts', 'cleanup.ts', 'scale.ts'];
const tsx = path.join(__dirname, '../node_modules/.bin/tsx');
let failed = 0;
for (const bench of benches) {
  const run = spawnSync(tsx, [path.join(__dirname, bench), ...process.argv.slice(2)], { stdio: 'inherit' });
  if (run.status !== 0) failed += 1;
  process.stdout.write('\n');
}
process.exit(failed ? 1 : 0);
