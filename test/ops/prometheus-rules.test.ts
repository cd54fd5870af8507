/**
 * The alert rules (ops/prometheus/rules.yml): valid, their promtool unit tests green, and every metric
 * they read is one the code emits and docs/metrics.md describes.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ensureDebianTool } from '../../scripts/debian-package';

const repo = path.resolve(__dirname, '../..');
const rulesDir = path.join(repo, 'ops/prometheus');
let promtool: string;

beforeAll(() => {
  promtool = ensureDebianTool(['promtool'], 'prometheus');
});

function run(args: string[]): { status: number | null; output: string } {
  const r = spawnSync(promtool, args, { cwd: rulesDir, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Every `ftp_…` metric name the source creates through a metric meter. */
function emittedMetrics(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (file.endsWith('.ts'))
        for (const m of fs
          .readFileSync(file, 'utf8')
          .matchAll(/create(?:Counter|Histogram|Gauge)\(\s*'(ftp_\w+)'/g))
          names.add(m[1]);
    }
  };
  walk(path.join(repo, 'src'));
  return names;
}

it('passes promtool check rules', () => {
  const r = run(['check', 'rules', 'rules.yml']);
  expect(r.output).toContain('SUCCESS');
  expect(r.status).toBe(0);
});

it('passes its promtool unit tests', () => {
  const r = run(['test', 'rules', 'rules.test.yml']);
  expect(r.output).toContain('SUCCESS');
  expect(r.status).toBe(0);
});

it('reads only metrics the code emits, each described in docs/metrics.md', () => {
  const rules = fs.readFileSync(path.join(rulesDir, 'rules.yml'), 'utf8');
  const used = new Set(
    [...rules.matchAll(/\b(ftp_[a-z0-9_]+)/g)].map((m) => m[1].replace(/_(bucket|sum|count)$/, '')),
  );
  const emitted = emittedMetrics();
  expect(used.size).toBeGreaterThanOrEqual(8);
  expect([...used].filter((n) => !emitted.has(n))).toEqual([]);
  const doc = fs.readFileSync(path.join(repo, 'docs/metrics.md'), 'utf8');
  expect([...emitted].filter((n) => !doc.includes(`\`${n}\``))).toEqual([]);
});
