/**
 * The bugs issue #20 lists under "Why", planted one at a time into the product code, each followed by
 * the test file that must catch it (`npm run test:planted-bugs`). Prints KILLED or SURVIVED per bug,
 * with the tests that failed, and exits 1 when one survives. Every planted file is restored after its
 * run (and on Ctrl-C); the script refuses to start when one of them has uncommitted changes.
 * `-- --only TEXT` plants only the bugs whose description contains TEXT (the supervision's stall bug
 * runs the bounded adversary, about four minutes).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { option } from '../bench/report';

interface PlantedBug {
  bug: string;
  file: string;
  find: string;
  replace: string;
  /** jest arguments: the test file(s), and a `-t` filter where the file is slow. */
  tests: string[];
}

const DECISIONS = ['test/decisions/decisions.test.ts'];
const GPU_CHOICE = 'preferences.find((g) => !tried.includes(g) && (!available || available.includes(g)))';

const BUGS: PlantedBug[] = [
  {
    bug: 'gate: a candidate exactly on the threshold fails (<= becomes <)',
    file: 'src/decisions/gate.ts',
    find: 'a <= b : a >= b',
    replace: 'a < b : a > b',
    tests: DECISIONS,
  },
  {
    bug: 'gate: a tie with the serving model passes at margin 0',
    file: 'src/decisions/gate.ts',
    find: 'const ok = margin === 0 && !tiesPass ? better(candidate, servingValue) : atLeast(candidate, target);',
    replace: 'const ok = atLeast(candidate, target);',
    tests: DECISIONS,
  },
  {
    bug: 'redaction: only the first occurrence of a secret',
    file: 'src/providers/http/redact.ts',
    find: 'out = out.split(secret).join(REDACTED)',
    replace: 'out = out.replace(secret, REDACTED)',
    tests: ['test/providers/units-and-redaction.test.ts'],
  },
  {
    bug: 'nextGpuType: the already-tried check dropped',
    file: 'src/decisions/supervision.ts',
    find: GPU_CHOICE,
    replace: 'preferences.find((g) => !available || available.includes(g))',
    tests: DECISIONS,
  },
  {
    bug: "nextGpuType: the provider's order instead of the user's",
    file: 'src/decisions/supervision.ts',
    find: GPU_CHOICE,
    replace: '(available ?? preferences).find((g) => !tried.includes(g) && preferences.includes(g))',
    tests: DECISIONS,
  },
  {
    bug: "isStalled: judged at the look's time, not when the figures (an older sweep) were answered",
    file: 'src/decisions/supervision.ts',
    find: 'Math.min(nowMs, state.seenAtMs ?? nowMs)',
    replace: 'nowMs',
    tests: ['test/decisions/supervision.test.ts', 'test/activities/watch.test.ts'],
  },
  {
    bug: 'chooseCandidate: the sort hard-coded to validationLoss',
    file: 'src/decisions/candidate.ts',
    find: 'sign * (a.metrics[policy.metric] - b.metrics[policy.metric])',
    replace: 'sign * (a.metrics.validationLoss - b.metrics.validationLoss)',
    tests: DECISIONS,
  },
  {
    bug: 'chooseCandidate: a NaN metric (diverged training) eligible',
    file: 'src/decisions/candidate.ts',
    find: "typeof c.metrics[policy.metric] === 'number' &&\n      Number.isFinite(c.metrics[policy.metric]),",
    replace: "typeof c.metrics[policy.metric] === 'number',",
    tests: DECISIONS,
  },
  {
    bug: 'the job list read on its first page only (adoption by name)',
    file: 'src/activities/job-pages.ts',
    find: '|| !page.hasMore ||',
    replace: '|| true ||',
    tests: ['test/activities/tensorone.test.ts'],
  },
  {
    bug: 'stopTrainingJobIfRunning: one read that says the job ended believed (no stop asked)',
    file: 'src/providers/tensorone/activities.ts',
    find: 'await client.jobs.stop(jobId, { saveCheckpoint, reason });',
    replace:
      "const read = await client.jobs.get(jobId);\n      if (!['queued', 'pending', 'running'].includes(read.status)) return { stopped: false, status: read.status };\n      await client.jobs.stop(jobId, { saveCheckpoint, reason });",
    tests: ['test/activities/tensorone.test.ts', '-t', 'stopped unless it ended'],
  },
  {
    bug: "smokeTestEndpoint: runsync's status dropped",
    file: 'src/providers/tensorone/activities.ts',
    find: 'return { status: res.status, outputPreview:',
    replace: 'return { outputPreview:',
    tests: ['test/activities/tensorone.test.ts'],
  },
  {
    bug: 'an unreadable pipeline file exits 1 instead of 2',
    file: 'src/cli/pipeline-file.ts',
    find: "throw refuse(`cannot be read${code ? ` (${code})` : ''}`);",
    replace: 'throw err;',
    tests: ['test/cli/cli.test.ts', '-t', 'pipeline files: too large'],
  },
  {
    // Healthy looks always show progress, so a threshold near zero stops only a job whose steps froze:
    // the bounded adversary's gated job (a stall fault), a second or two after it froze instead of
    // `stallAfter` (10 s) after. I10 judges that stop against the job's true progress.
    bug: 'supervision: stallAfter taken as seconds where it is milliseconds (a stall judged at a thousandth of it)',
    file: 'src/workflows/supervise/state.ts',
    find: "const stallAfterMs = requireDuration(input.stallAfter, 'stallAfter', bounded);",
    replace: "const stallAfterMs = requireDuration(input.stallAfter, 'stallAfter', bounded) / 1000;",
    tests: ['test/reliability/adversary-bounded.test.ts'],
  },
  {
    bug: 'protection registry: continuing as new drops its deletion leases',
    file: 'src/workflows/protection/index.ts',
    find: 'leases: liveLeases(leases, Date.now()),',
    replace: 'leases: [],',
    tests: ['test/workflows/protection-registry-loss.test.ts', '-t', 'continued as new'],
  },
];

const repo = path.resolve(__dirname, '..');
const originals = new Map<string, string>();
const restoreAll = () => {
  for (const [file, text] of originals) fs.writeFileSync(path.join(repo, file), text);
  originals.clear();
};
process.on('SIGINT', () => {
  restoreAll();
  process.exit(130);
});

function main(): void {
  const only = option('only');
  const bugs = only === undefined ? BUGS : BUGS.filter((b) => b.bug.includes(only));
  if (!bugs.length) {
    process.stderr.write(`planted-bugs: no bug's description contains "${only}"\n`);
    process.exit(2);
  }
  const files = [...new Set(bugs.map((b) => b.file))];
  const dirty = spawnSync('git', ['status', '--porcelain', '--', ...files], { cwd: repo, encoding: 'utf8' });
  if (dirty.stdout.trim()) {
    process.stderr.write(`planted-bugs: commit or stash these first:\n${dirty.stdout}`);
    process.exit(2);
  }
  let survived = 0;
  for (const b of bugs) {
    const full = path.join(repo, b.file);
    const text = fs.readFileSync(full, 'utf8');
    if (!text.includes(b.find)) {
      process.stdout.write(`NOT PLANTED  ${b.bug}: its code in ${b.file} has changed; update this script\n`);
      survived++;
      continue;
    }
    originals.set(b.file, text);
    fs.writeFileSync(full, text.replace(b.find, b.replace));
    try {
      const run = spawnSync('npx', ['jest', '--verbose', ...b.tests], { cwd: repo, encoding: 'utf8' });
      const failed = `${run.stdout}${run.stderr}`
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l.startsWith('✕'));
      const killed = run.status !== 0 && failed.length > 0;
      if (!killed) survived++;
      process.stdout.write(`${killed ? 'KILLED   ' : 'SURVIVED '}  ${b.bug}\n`);
      for (const line of failed.slice(0, 3)) process.stdout.write(`             ${line}\n`);
    } finally {
      restoreAll();
    }
  }
  process.stdout.write(`\n${bugs.length - survived} of ${bugs.length} planted bugs caught\n`);
  process.exit(survived ? 1 : 0);
}

main();
