import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const repo = path.resolve(__dirname, '../..');

/** Runs the check as `npm test` does (dpdm is ESM-only inside: run by tsx, not loaded into jest). */
function importCycles(root: string): { status: number | null; circles: string[] } {
  const run = spawnSync(
    path.join(repo, 'node_modules/.bin/tsx'),
    [path.join(repo, 'scripts/import-cycles.ts'), root],
    { encoding: 'utf8' },
  );
  const circles = run.stderr.split('\n').filter((line) => line.startsWith('import cycle: '));
  return { status: run.status, circles: circles.map((line) => line.slice('import cycle: '.length)) };
}

const folders: string[] = [];
afterAll(() => {
  for (const root of folders) fs.rmSync(root, { recursive: true, force: true });
});

/** A throwaway folder of modules, by relative path. */
function folder(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'import-cycles-'));
  folders.push(root);
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
  return root;
}

describe('the import-cycle check of npm test', () => {
  it('finds a circle made only of type imports, through a folder index', () => {
    const root = folder({
      'activities/index.ts': "import { read } from '../rate/reads';\nexport const all = { read };\n",
      'rate/reads.ts':
        "import type { Stubs } from '../workflows/stubs';\nexport const read = (s?: Stubs) => s;\n",
      'workflows/stubs.ts': "import type { all } from '../activities';\nexport type Stubs = typeof all;\n",
    });
    expect(importCycles(root)).toEqual({
      status: 1,
      circles: ['activities/index.ts -> rate/reads.ts -> workflows/stubs.ts -> activities/index.ts'],
    });
  }, 60_000);

  it('finds a two-module circle of a value and a type import', () => {
    const root = folder({
      'factory.ts':
        "import { workers } from './workers';\nexport interface Wiring { q: string }\nexport const make = workers;\n",
      'workers.ts': "import type { Wiring } from './factory';\nexport const workers = (w: Wiring) => w.q;\n",
    });
    expect(importCycles(root)).toEqual({ status: 1, circles: ['factory.ts -> workers.ts -> factory.ts'] });
  }, 60_000);

  it('passes a folder whose modules share a leaf contract instead', () => {
    const root = folder({
      'contract.ts': 'export interface Wiring { q: string }\n',
      'factory.ts': "import { workers } from './workers';\nexport const make = workers;\n",
      'workers.ts': "import type { Wiring } from './contract';\nexport const workers = (w: Wiring) => w.q;\n",
    });
    expect(importCycles(root)).toEqual({ status: 0, circles: [] });
  }, 60_000);
});
