/**
 * `npx tsx scripts/invariants-doc.ts [--check] [--file PATH]`: writes the generated part of
 * docs/invariants.md from the invariants (chaos/invariants.ts), the lie catalogue (sandbox/adversary.ts)
 * and the adversary's accidents and operator (chaos/adversary.ts). The measured part below the generated
 * one is kept as it is. `--check` writes nothing and exits 1 when the page and the modules drift apart.
 */
import fs from 'node:fs';
import path from 'node:path';
import prettier from 'prettier';
import { flag, option } from '../bench/report';
import { ACCIDENT_DESCRIPTIONS, OPERATOR_DESCRIPTIONS, STALL } from '../chaos/adversary';
import { DOCUMENTED_RATE_BURST, INVARIANTS } from '../chaos/invariants';
import { KIND_DRAWN_SHARE, LIE_DESCRIPTIONS, LIE_KINDS, LIE_RANGES } from '../sandbox/adversary';

export const INVARIANTS_DOC = path.resolve(__dirname, '../docs/invariants.md');
export const GENERATED_START =
  '<!-- generated from chaos/invariants.ts and sandbox/adversary.ts: do not edit by hand -->';
export const GENERATED_END = '<!-- end of the generated part -->';

const range = ([lo, hi]: [number, number], percent = false) =>
  percent ? `${+(lo * 100).toFixed(1)}–${+(hi * 100).toFixed(1)} %` : lo === hi ? `${lo}` : `${lo}–${hi}`;

/** The generated part: the invariants, how each is checked, the lies, the accidents, the operator. */
export function generatedPart(): string {
  const lines = [
    GENERATED_START,
    '',
    '## The invariants',
    '',
    'Stated once in `chaos/invariants.ts`; each is checked over a run’s end state: the sandbox’s true state (`GET /admin/state`: jobs with when their steps truly advanced, checkpoints and every deletion with its time, endpoints, TensorMesh models, registry, every lie told), each pipeline’s result, last `status` and history, each supervision’s stops read from its history (`chaos/supervision-history.ts`), each serving slot, the operator’s record, and every log.',
    '',
    '| | Invariant | How it is checked |',
    '| --- | --- | --- |',
    ...INVARIANTS.map((i) => `| ${i.id} | ${i.sentence} | ${i.checkedBy} |`),
    '',
    `The documented burst for I7 is ${DOCUMENTED_RATE_BURST} × the limit. When a source of truth is lost or reset (a registry terminated, a history gone, a slot reset), the rule is “cannot know → keep, do not switch”: I3 and I5 judge what was kept and what was switched to.`,
    '',
    '## The lying provider',
    '',
    'With `SANDBOX_ADVERSARY_SEED=n` (or `adversary: { seed }` in `startSandbox`), the sandbox draws lies from this catalogue. Each seed tells each kind with probability ' +
      `${KIND_DRAWN_SHARE}, at a rate per eligible request, at most a count of times, each lasting k looks (ranges below, drawn from the seed); the draws per request follow the same seed, so one request sequence meets the same lies. ` +
      '`SANDBOX_ADVERSARY_KINDS=a,b` limits the kinds. Apart from the lies, each profile serves what it serves without them (the documented profile: exactly the documents). Every lie told is recorded (kind, route, resource, time) in `/admin/state` under `adversary.lies`, with `liesByKind`.',
    '',
    '| Lie | What the provider does | Rate per request | Count per run | k |',
    '| --- | --- | --- | --- | --- |',
    ...LIE_KINDS.map((k) => {
      const r = LIE_RANGES[k];
      return `| \`${k}\` | ${LIE_DESCRIPTIONS[k]} | ${range(r.rate, true)} | ${range(r.count)} | ${range(r.k)} |`;
    }),
    '',
    '## Accidents and the operator',
    '',
    '`npm run test:adversary -- --seeds 1..N` runs, per seed and sandbox profile, the four examples (`examples/pipeline*.yaml`: endpoint, gated, registry, TensorMesh; epochs shortened, keep-last 1; the gated pipeline’s job stalls once at epoch ' +
      `${STALL.atEpoch} — a sandbox stall fault — under \`stallAfter: ${STALL.stallAfter}\`` +
      ` (and \`budget.maxCost: ${STALL.maxCost}\`: a stalled job bills on), so` +
      ' its supervision stops and resumes it and I10 judges that stop) and a retrain of the endpoint pipeline’s name, each trial on its own task queue, sandbox and worker process, with a cleanup Schedule every 15 s. Options: `--profiles`, `--kinds`, `--accidents`, `--operator` (comma-separated; `none`), `--parallel K` (trials at once, one dev server), `--until HH:MM` (UTC: no batch starts later), `--max-rps R` (sets `TENSORONE_MAX_RPS` and checks I7), `--keep DIR` (each trial’s end state as JSON), `--json`.',
    '',
    '| Accident (Temporal side) | What the harness does |',
    '| --- | --- |',
    ...Object.entries(ACCIDENT_DESCRIPTIONS).map(([k, d]) => `| \`${k}\` | ${d} |`),
    '',
    '| Operator | What it does |',
    '| --- | --- |',
    ...Object.entries(OPERATOR_DESCRIPTIONS).map(([k, d]) => `| \`${k}\` | ${d} |`),
    '',
    'A violation prints the seed, the invariant and what led to it: the lies told about the resources involved (with their time) and the workflow’s steps from its history.',
    '',
    GENERATED_END,
  ];
  return lines.join('\n');
}

/** The page with its generated part replaced (or the generated part alone when the page is new), formatted as the repository formats Markdown. */
export async function renderInvariantsDoc(current: string | undefined): Promise<string> {
  const generated = generatedPart();
  const start = current?.indexOf(GENERATED_START) ?? -1;
  const end = current?.indexOf(GENERATED_END) ?? -1;
  const page = !current
    ? `# Invariants and the adversary\n\n${generated}\n`
    : start < 0 || end < 0
      ? `${current.trimEnd()}\n\n${generated}\n`
      : current.slice(0, start) + generated + current.slice(end + GENERATED_END.length);
  const options = (await prettier.resolveConfig(INVARIANTS_DOC)) ?? {};
  return prettier.format(page, { ...options, parser: 'markdown' });
}

if (require.main === module)
  void (async () => {
    const file = option('file') ?? INVARIANTS_DOC;
    const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
    const page = await renderInvariantsDoc(current);
    if (flag('check')) {
      if (page === current) return;
      process.stderr.write(
        `${path.relative(process.cwd(), file)} differs from chaos/invariants.ts and sandbox/adversary.ts: run npx tsx scripts/invariants-doc.ts\n`,
      );
      process.exit(1);
    }
    fs.writeFileSync(file, page);
    process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
  })();
