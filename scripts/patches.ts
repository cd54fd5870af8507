/**
 * `npm run patches [-- --check] [--json]`: every `patched()` id of the workflows, the commit that
 * introduced it, and the recorded histories that replay its old and its new path. With `--check` it
 * also asks the namespace (TEMPORAL_* environment, as the CLI) how many runs of the workflow types
 * that ask the patch are still open and started before it: a patch with none may become
 * `deprecatePatch()` (docs/architecture.md, "Versioning"). Exit 0; 2 on a bad flag; 1 when Temporal
 * cannot be read with --check.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { benchHeader, table } from '../bench/report';
import { connectClient, parseEnv, temporalEnvSchema } from '../src/config/temporal-connection';
import * as workflows from '../src/workflows';
import { PATCHES_RELEASED_MARKER } from '../src/workflows/released-patch';

const repo = path.resolve(__dirname, '..');
const WORKFLOWS = path.join(repo, 'src/workflows');
/** Workflow-side code outside src/workflows: the provider-queue interceptor. */
const PROVIDER_RATE = path.join(repo, 'src/provider-rate');
const HISTORIES = path.join(repo, 'test/histories');

/** The workflow type each folder runs, for the visibility query. */
const WORKFLOW_TYPES: Record<string, string[]> = {
  pipeline: ['fineTuneToDeploy'],
  supervise: ['superviseTrainingJob'],
  cleanup: ['checkpointCleanup', 'deleteCheckpointsAtProviderRate'],
  protection: ['checkpointProtection'],
  'serving-slot': ['servingSlot'],
  'fleet-budget': ['fleetBudget'],
  // The pipeline decides (its run's sweep), then each trial it tells.
  sweep: ['fineTuneToDeploy', 'sweepTrial'],
  // The provider-queue interceptor runs in every workflow the worker runs: each that calls a provider asks it.
  'provider-rate': Object.entries(workflows)
    .filter(([, exported]) => typeof exported === 'function')
    .map(([type]) => type),
};
// The release marker is asked by every workflow that asks a patch it covers.
WORKFLOW_TYPES['every workflow'] = WORKFLOW_TYPES['provider-rate'];

/** The workflow types whose open runs may still take a patch's old path. */
export const workflowTypesAsking = (folder: string): string[] => WORKFLOW_TYPES[folder] ?? [];

export interface PatchFacts {
  id: string;
  folder: string;
  introduced?: { commit: string; date: string };
  /** Histories carrying the marker (new path) and histories of the same workflows without it (old path). */
  newPath: string[];
  oldPath: string[];
  openBefore?: number;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/**
 * Patch ids as written in the workflows: `patched('id')` or `releasedPatch('id')` (covered by the
 * release marker, src/workflows/released-patch.ts), or a constant `… = 'id'` passed to either.
 */
export function patchIds(): { id: string; folder: string }[] {
  const found = new Map<string, string>();
  for (const file of [...sourceFiles(WORKFLOWS), ...sourceFiles(PROVIDER_RATE)]) {
    const text = fs.readFileSync(file, 'utf8');
    if (!/\b(patched|releasedPatch)\(|_PATCH = '/.test(text)) continue;
    const folder = file.startsWith(PROVIDER_RATE)
      ? 'provider-rate'
      : path.relative(WORKFLOWS, path.dirname(file)) || '.';
    for (const m of text.matchAll(/(?:patched|releasedPatch)\('([a-z0-9-]+)'\)/g)) found.set(m[1], folder);
    for (const m of text.matchAll(/_PATCH = '([a-z0-9-]+)'/g)) found.set(m[1], folder);
  }
  found.set(PATCHES_RELEASED_MARKER, 'every workflow');
  return [...found].map(([id, folder]) => ({ id, folder })).sort((a, b) => a.id.localeCompare(b.id));
}

/** The patch ids each recorded history's markers carry. */
export function historyMarkers(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const name of fs.readdirSync(HISTORIES).filter((f) => f.endsWith('.json'))) {
    const history = JSON.parse(fs.readFileSync(path.join(HISTORIES, name), 'utf8')) as {
      events: {
        markerRecordedEventAttributes?: { details?: Record<string, { payloads?: { data?: string }[] }> };
      }[];
    };
    const ids = new Set<string>();
    for (const e of history.events) {
      const data = e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]?.data;
      if (!data) continue;
      const { id } = JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { id?: string };
      if (id) ids.add(id);
    }
    out.set(name, ids);
  }
  return out;
}

function introducedBy(id: string): PatchFacts['introduced'] {
  try {
    const lines = execFileSync('git', ['log', '--reverse', '--format=%h %cI', `-S'${id}'`, '--', 'src'], {
      cwd: repo,
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .filter(Boolean);
    if (!lines.length) return undefined;
    const [commit, date] = lines[0].split(' ');
    return { commit, date };
  } catch {
    return undefined; // not a git checkout
  }
}

/** History files are named after the workflow they record: `pipeline-success-v4.json` → pipeline. */
const historyFolder = (name: string) =>
  name.startsWith('pipeline-')
    ? 'pipeline'
    : name.startsWith('supervise-')
      ? 'supervise'
      : name.startsWith('cleanup-')
        ? 'cleanup'
        : name.startsWith('protection-')
          ? 'protection'
          : name.startsWith('serving-slot-')
            ? 'serving-slot'
            : 'other';

export function patchFacts(): PatchFacts[] {
  const markers = historyMarkers();
  return patchIds().map(({ id, folder }) => {
    const same = [...markers].filter(
      ([name]) => folder === 'provider-rate' || folder === 'every workflow' || historyFolder(name) === folder,
    );
    return {
      id,
      folder,
      introduced: introducedBy(id),
      // A history with the release marker took every patch it covers.
      newPath: same
        .filter(([, ids]) => ids.has(id) || ids.has(PATCHES_RELEASED_MARKER))
        .map(([name]) => name),
      oldPath: same
        .filter(([, ids]) => !ids.has(id) && !ids.has(PATCHES_RELEASED_MARKER))
        .map(([name]) => name),
    };
  });
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const unknown = args.find((a) => !['--check', '--json'].includes(a));
  if (unknown) {
    process.stderr.write(`patches: unknown flag ${unknown} (usage: npm run patches [-- --check] [--json])\n`);
    return 2;
  }
  const facts = patchFacts();
  if (args.includes('--check')) {
    const env = parseEnv(temporalEnvSchema, process.env);
    const { client, connection } = await connectClient(env);
    try {
      for (const f of facts) {
        if (!f.introduced) continue;
        const types = workflowTypesAsking(f.folder);
        const byType = types.map((t) => `WorkflowType = '${t}'`).join(' OR ');
        const query = `(${byType}) AND ExecutionStatus = 'Running' AND StartTime < '${f.introduced.date}'`;
        f.openBefore = (await client.workflow.count(query)).count;
      }
    } finally {
      await connection.close();
    }
  }
  if (args.includes('--json')) {
    process.stdout.write(`${JSON.stringify(facts, null, 2)}\n`);
    return 0;
  }
  const checked = args.includes('--check');
  process.stdout.write(
    `${benchHeader(`patches: ${facts.length} patch ids in src/workflows and src/provider-rate`)}\n` +
      table(
        [
          'patch id',
          'workflow folder',
          'introduced',
          'histories: new path',
          'histories: old path',
          ...(checked ? ['open runs from before it', 'may be deprecated'] : []),
        ],
        facts.map((f) => [
          f.id,
          f.folder,
          f.introduced ? `${f.introduced.commit} ${f.introduced.date.slice(0, 10)}` : '-',
          f.newPath.length,
          f.oldPath.length,
          ...(checked ? [f.openBefore ?? '-', f.openBefore === 0 ? 'yes' : 'no'] : []),
        ]),
      ) +
      '\n',
  );
  return 0;
}

if (require.main === module)
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`patches: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
