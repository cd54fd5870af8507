import type { Command } from 'commander';
import { out } from '../io';
import type { planPipeline } from '../plan';

/** `starter validate <file>`: check a pipeline file and show what it would do; touches nothing. */
export function addValidateCommand(program: Command): void {
  program
    .command('validate <file>')
    .description(
      'check a pipeline file and print it normalized, the provider requests it would make and its cost (exit 0 valid, 2 invalid); starts nothing',
    )
    .option('--json', 'print { file, pipeline, requests, cost } as JSON')
    .action((file: string, opts: { json?: boolean }) => printValidation(file, opts));
}

/** Validates the file (an invalid one throws: exit 2) and prints the normalized pipeline and its plan. */
export async function printValidation(file: string, opts: { json?: boolean }): Promise<void> {
  const [{ loadPipelineFile }, { planPipeline }, { default: YAML }] = await Promise.all([
    import('../pipeline-file'),
    import('../plan'),
    import('yaml'),
  ]);
  const spec = loadPipelineFile(file);
  const plan = planPipeline(spec);
  if (opts.json) return out({ file, valid: true, pipeline: spec, ...plan });
  out(validationText(file, YAML.stringify(spec), plan));
}

function validationText(file: string, specYaml: string, plan: ReturnType<typeof planPipeline>): string {
  const indent = (text: string, by: string) =>
    text
      .trimEnd()
      .split('\n')
      .map((l) => by + l)
      .join('\n');
  const requests = plan.requests.map((r, i) =>
    [
      `  ${i + 1}. ${r.method} ${r.path} (${r.provider}): ${r.purpose}`,
      ...(r.body ? [indent(JSON.stringify(r.body, null, 2), '       ')] : []),
    ].join('\n'),
  );
  return [
    `${file} is valid.`,
    '',
    'pipeline, with the defaults filled in:',
    indent(specYaml, '  '),
    '',
    'requests it would make (reads and polls left out; keys and tokens are added by the worker, never shown):',
    ...(requests.length ? requests : ['  none']),
    '',
    `cost: ${plan.cost.amount !== undefined ? plan.cost.amount : plan.cost.note}`,
  ].join('\n');
}
