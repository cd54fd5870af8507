import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { documentedProgram, renderCliReference } from '../../scripts/docs/cli-reference';
import { pipelineFieldRows } from '../../scripts/docs/pipeline-fields';
import { BEGIN, END, GENERATED_PAGES } from '../../scripts/docs/generated-pages';

/**
 * The generated parts of docs/pipeline-file.md and docs/cli.md say what the code says: `npm run docs`
 * rewrites them, and this test fails when someone changed a schema or a command without rerunning it.
 */

const root = join(__dirname, '..', '..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');
const check = (at: string) =>
  spawnSync(tsx, [join(root, 'scripts', 'generate-docs.ts'), '--check', '--root', at], { encoding: 'utf8' });

describe('generated docs', () => {
  it('are up to date with the schemas and the CLI program (else: run npm run docs)', () => {
    const run = check(root);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('a page whose generated part differs from the code fails the check, naming it and the fix', () => {
    const copy = mkdtempSync(join(tmpdir(), 'docs-check-'));
    try {
      cpSync(join(root, 'docs'), join(copy, 'docs'), { recursive: true });
      const page = join(copy, 'docs', 'pipeline-file.md');
      const text = readFileSync(page, 'utf8');
      // As if a field had been added to the schema without rerunning the generator.
      writeFileSync(page, text.replace(END, '| `train.newField` | string |  |  |  |\n' + END));
      const run = check(copy);
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('docs/pipeline-file.md');
      expect(run.stderr).toContain('run npm run docs');
      expect(run.stderr).not.toContain('docs/cli.md');
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('every generated page has its markers', () => {
    for (const page of Object.keys(GENERATED_PAGES)) {
      const text = readFileSync(join(root, page), 'utf8');
      expect(text.indexOf(BEGIN)).toBeGreaterThan(0);
      expect(text.indexOf(END)).toBeGreaterThan(text.indexOf(BEGIN));
    }
  });

  it('the field reference lists every field of every variant with its default and bounds', () => {
    const rows = pipelineFieldRows();
    const row = (field: string, when = '') => rows.find((r) => r.field === field && r.when === when);
    expect(row('name')).toMatchObject({ type: 'string', default: 'required' });
    expect(row('train.datasetId', 'kind: tensorone')).toBeDefined();
    expect(row('train.jobId', 'kind: tensorone-existing')).toBeDefined();
    expect(row('deploy.userId', 'target: tensormesh')).toMatchObject({ constraints: 'a uuid' });
    expect(row('supervision.freshness')).toMatchObject({
      type: 'duration',
      default: '`"5m"`',
      constraints: '1s to 1d',
    });
    expect(row('cleanup.maxDeletes')).toMatchObject({ default: '`1000`', constraints: '≥ 1; ≤ 100000' });
    expect(row('budget.maxCost')).toMatchObject({ default: 'required', constraints: '> 0' });
  });

  it('every command of the CLI has a description, so its reference and --help say what it does', () => {
    const undescribed: string[] = [];
    const visit = (cmd: Command, path: string) => {
      for (const child of cmd.commands) {
        const name = `${path} ${child.name()}`;
        if (!child.description()) undescribed.push(name);
        visit(child, name);
      }
    };
    visit(documentedProgram(), 'starter');
    expect(undescribed).toEqual([]);
  });

  it('a command that also runs without a subcommand shows it optional, as its --help does', () => {
    const reference = renderCliReference();
    expect(reference).toContain('starter budget [options] [command]');
    expect(reference).toContain('starter schedule <command>');
    const budget = documentedProgram().commands.find((c) => c.name() === 'budget')!;
    expect(budget.helpInformation()).toContain('Usage: starter budget [options] [command]');
  });
});
