/**
 * Whether a resource found under this run's name is the one this run asked for. A name proves only
 * that the resource was made for this run's step; what it was made *from* must match too, or the run
 * would adopt (and later deploy) something it never asked for.
 */

/** What a create asked for, or what a found resource reports; a field absent on the found side is unknown. */
export interface ResourceTraits {
  modelType?: string;
  datasetId?: string;
  /** Compared as a subset: every key asked must be found with an equal value (a provider may add defaults). */
  config?: Record<string, unknown>;
  gpuType?: string;
  checkpointId?: string;
  modelId?: string;
  modelPath?: string;
}

export interface TraitMismatch {
  field: string;
  asked: string;
  found: string;
}

/**
 * The differences between what was asked and what was found. A field the found resource does not
 * report cannot be compared and is not a difference; a field reported with another value is.
 */
export function adoptionMismatches(asked: ResourceTraits, found: ResourceTraits): TraitMismatch[] {
  const out: TraitMismatch[] = [];
  const plain = ['modelType', 'datasetId', 'checkpointId', 'modelId', 'modelPath'] as const;
  for (const field of plain) {
    const a = asked[field];
    const f = found[field];
    if (a !== undefined && f !== undefined && a !== f) out.push({ field, asked: a, found: f });
  }
  if (asked.gpuType !== undefined && found.gpuType !== undefined && !sameGpu(asked.gpuType, found.gpuType))
    out.push({ field: 'gpuType', asked: asked.gpuType, found: found.gpuType });
  if (asked.config !== undefined && found.config !== undefined)
    out.push(...configMismatches(asked.config, found.config, 'config'));
  return out;
}

/** One line naming both sides, for a failure message. */
export function describeMismatches(mismatches: TraitMismatch[]): string {
  return mismatches.map((m) => `${m.field}: asked ${m.asked}, found ${m.found}`).join('; ');
}

/**
 * The resources carrying one run's name that are not the one the run keeps: duplicates made by a
 * create the provider acted on after its answer was lost. Ids in the order found, each once.
 */
export function duplicatesOf(keepId: string, found: { id: string; name?: string }[], name: string): string[] {
  const ids = found.filter((r) => r.name === name && r.id !== keepId).map((r) => r.id);
  return [...new Set(ids)];
}

/** GPU names differ in spelling between request and answer (`a100` asked, `NVIDIA A100` reported). */
function sameGpu(asked: string, found: string): boolean {
  const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');
  const a = norm(asked);
  const f = norm(found);
  return a === f || f.endsWith(a) || a.endsWith(f);
}

function configMismatches(asked: unknown, found: unknown, path: string): TraitMismatch[] {
  if (isRecord(asked) && isRecord(found)) {
    return Object.keys(asked).flatMap((k) =>
      asked[k] === undefined ? [] : configMismatches(asked[k], found[k], `${path}.${k}`),
    );
  }
  if (Array.isArray(asked) && Array.isArray(found) && asked.length === found.length) {
    return asked.flatMap((a, i) => configMismatches(a, found[i], `${path}[${i}]`));
  }
  if (Object.is(asked, found)) return [];
  return [{ field: path, asked: show(asked), found: show(found) }];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/**
 * Whether a create must first look for what an earlier attempt made. A run-named resource (`runNamed`:
 * the name carries the run and the step) can exist only if an earlier attempt of this activity asked
 * for it, so the first attempt creates straight away: one request, not two, and the provider's
 * rate limit counts one per activity. A name without the run (workflows started before runs named
 * their resources) may have been used by an earlier run: always looked up.
 */
export function lookUpBeforeCreate(attempt: number, runNamed: boolean): boolean {
  return attempt > 1 || !runNamed;
}
