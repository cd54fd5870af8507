import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import {
  INPUT_LIMITS,
  InvalidPipelineInput,
  parsePipelineInput,
  type PipelineSpec,
} from '../domain/pipeline-input';

/** A pipeline file that is not there: said plainly, without a list of fields. */
export class NoSuchPipelineFile extends InvalidPipelineInput {
  constructor(readonly file: string) {
    super([{ field: '(file)', message: 'does not exist' }], file);
    this.message = `no such file: ${file}`;
    this.name = 'NoSuchPipelineFile';
  }
}

/**
 * Reads a pipeline from YAML or JSON and validates it; errors name the file and every bad field. A file
 * that is missing, too large, not UTF-8 or not YAML/JSON is refused the same way (the CLI exits 2).
 */
export function loadPipelineFile(file: string): PipelineSpec {
  const source = path.relative(process.cwd(), path.resolve(file)) || file;
  const refuse = (message: string) => new InvalidPipelineInput([{ field: '(file)', message }], source);
  let bytes: Buffer;
  try {
    // Size first: a huge file is never read whole.
    const { size } = fs.statSync(file);
    if (size > INPUT_LIMITS.fileBytes)
      throw refuse(
        `is ${Math.ceil(size / 1024)} KiB, more than the ${INPUT_LIMITS.fileBytes / 1024} KiB a pipeline file may have`,
      );
    bytes = fs.readFileSync(file);
  } catch (err) {
    if (err instanceof InvalidPipelineInput) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new NoSuchPipelineFile(file);
    throw refuse(`cannot be read${code ? ` (${code})` : ''}`);
  }
  const invalidAt = invalidUtf8Offset(bytes);
  if (invalidAt !== undefined)
    throw refuse(
      `is not UTF-8 text: byte ${invalidAt} (line ${lineAt(bytes, invalidAt)}) is 0x${bytes[invalidAt].toString(16).padStart(2, '0')}`,
    );
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  const json = /\.json$/i.test(file);
  let raw: unknown;
  try {
    raw = json ? JSON.parse(text) : YAML.parse(text);
  } catch (err) {
    throw refuse(`is not valid ${json ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`);
  }
  return parsePipelineInput(raw, source);
}

/** Offset of the first byte that is not part of a well-formed UTF-8 sequence, if any. */
function invalidUtf8Offset(bytes: Uint8Array): number | undefined {
  const decoded = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  // Walk the replacements from the start; skip those the file itself contained.
  let from = 0;
  let offset = 0;
  for (;;) {
    const at = decoded.indexOf('\uFFFD', from);
    if (at < 0) return undefined;
    offset += Buffer.byteLength(decoded.slice(from, at), 'utf8');
    // An U+FFFD written in the file is EF BF BD there; the decoder's own replacements are not.
    if (bytes[offset] !== 0xef || bytes[offset + 1] !== 0xbf || bytes[offset + 2] !== 0xbd) return offset;
    offset += 3;
    from = at + 1;
  }
}

function lineAt(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
  return line;
}
