import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { InvalidPipelineInput, parsePipelineInput, type PipelineSpec } from '../domain/pipeline-input';

/** Reads a pipeline from YAML or JSON and validates it; errors name the file and every bad field. */
export function loadPipelineFile(file: string): PipelineSpec {
  const source = path.relative(process.cwd(), path.resolve(file)) || file;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new InvalidPipelineInput([{ field: '(file)', message: 'cannot be read' }], source);
  }
  let raw: unknown;
  try {
    raw = /\.json$/i.test(file) ? JSON.parse(text) : YAML.parse(text);
  } catch (err) {
    throw new InvalidPipelineInput(
      [
        {
          field: '(file)',
          message: `is not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`,
        },
      ],
      source,
    );
  }
  return parsePipelineInput(raw, source);
}
