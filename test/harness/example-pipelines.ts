import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

const repo = path.resolve(__dirname, '../..');

/**
 * examples/pipeline-gated.yaml, parsed, under `name`: `epochs` epochs and supervision quick enough for a
 * test, which waits `stall` (stallAfter and unknownStatusGrace) before it calls a job stalled or unknown.
 */
export function quickGatedExample(
  name: string,
  { epochs, stall }: { epochs: number; stall: string },
): Record<string, unknown> {
  const spec = YAML.parse(fs.readFileSync(path.join(repo, 'examples/pipeline-gated.yaml'), 'utf8')) as Record<
    string,
    unknown
  >;
  spec.name = name;
  (spec.train as { config: { training: { epochs: number } } }).config.training.epochs = epochs;
  spec.supervision = {
    freshness: '1s',
    minInterval: '200ms',
    stallAfter: stall,
    resumeBudget: 1,
    unknownStatusGrace: stall,
  };
  return spec;
}
