import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { sandboxAdmin } from '../../sandbox/admin-client';
import { useCliBed } from '../harness/cli-bed';

/**
 * A typo in a pipeline file must not start paid training: the CLI refuses it (exit 2) with a line per
 * mistake, and no request reaches the provider, while a worker stands ready to run whatever starts.
 */

const repo = path.resolve(__dirname, '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ftp-file-refusals-'));

const bed = useCliBed({
  name: 'file-refusals',
  sandbox: { epochMs: 150, queueMs: 50, deployMs: 150 },
  worker: true,
});
const cli = (args: string[]) => bed.cli(args);

/** The example pipeline under a new name, with `edit` applied to its parsed YAML. */
type ExampleTrain = { train: { datasetId?: string; datasetID?: string; config: Record<string, unknown> } };
function exampleWith(name: string, edit: (p: ExampleTrain) => void): string {
  const p = YAML.parse(fs.readFileSync(path.join(repo, 'examples/pipeline.yaml'), 'utf8')) as ExampleTrain & {
    name: string;
  };
  p.name = name;
  edit(p);
  const file = path.join(tmp, `${name}.yaml`);
  fs.writeFileSync(file, YAML.stringify(p));
  return file;
}

it('`epochs: eight`, `epoch: 8` and `learningrate:` in train.config → exit 2, a line per mistake, no request reaches the sandbox', async () => {
  const cases: [file: string, expected: string][] = [
    [
      exampleWith('typo-eight', (p) => (p.train.config.training = { epochs: 'eight' })),
      'train.config.training.epochs: must be a whole number ≥ 1, got "eight"',
    ],
    [
      exampleWith('typo-epoch', (p) => (p.train.config.training = { epoch: 8 })),
      'train.config.training.epoch: is not a known key; did you mean `epochs`?',
    ],
    [
      exampleWith('typo-lr', (p) => (p.train.config.training = { epochs: 8, learningrate: 2e-4 })),
      'train.config.training.learningrate: is not a known key; did you mean `learningRate` or `learning_rate`?',
    ],
  ];
  const results = await Promise.all(cases.map(([file]) => cli(['run', '--no-follow', file])));
  results.forEach((r, i) => {
    expect({ file: cases[i][0], code: r.code }).toEqual({ file: cases[i][0], code: 2 });
    expect(r.stderr).toContain(cases[i][1]);
    // One mistake, one line.
    expect(r.stderr.split('\n').filter((l) => l.startsWith('  - '))).toHaveLength(1);
  });
  const state = (await sandboxAdmin(bed.sandbox.url).state()) as { jobs: unknown[] };
  expect(state.jobs).toEqual([]);
  expect((await sandboxAdmin(bed.sandbox.url).counters()).requests).toBe(0);
}, 120_000);

it('a misspelled required key is one error with a suggestion; a missing file is said plainly', async () => {
  const typo = exampleWith('typo-dataset', (p) => {
    p.train.datasetID = p.train.datasetId;
    delete p.train.datasetId;
  });
  const missing = path.join(tmp, 'no-such-pipeline.yaml');
  const [dataset, absent] = await Promise.all([cli(['run', typo]), cli(['run', missing])]);
  expect(dataset.code).toBe(2);
  expect(dataset.stderr).toContain('train.datasetID: is not a known key; did you mean `datasetId`?');
  expect(dataset.stderr).not.toContain('train.datasetId');
  expect(absent.code).toBe(2);
  expect(absent.stderr.trim()).toBe(`error: no such file: ${missing}`);
  expect((await sandboxAdmin(bed.sandbox.url).counters()).requests).toBe(0);
}, 120_000);
