import { renderCliReference } from './cli-reference';
import { renderPipelineFields } from './pipeline-fields';

/** The docs pages with a part generated from the code, and the markers around that part. */

export const BEGIN = '<!-- generated:begin -->';
export const END = '<!-- generated:end -->';

/** Each generated page and what fills its generated part. */
export const GENERATED_PAGES: Record<string, () => string> = {
  'docs/pipeline-file.md': () => renderPipelineFields(),
  'docs/cli.md': () => renderCliReference(),
};

/** The text between the markers, or a refusal naming the page when they are missing. */
export function generatedPart(page: string, text: string): string {
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`${page}: no ${BEGIN} … ${END} markers`);
  return text.slice(begin + BEGIN.length, end);
}

export function withGeneratedPart(page: string, text: string, content: string): string {
  generatedPart(page, text);
  const begin = text.indexOf(BEGIN) + BEGIN.length;
  return `${text.slice(0, begin)}\n\n${content}\n\n${text.slice(text.indexOf(END))}`;
}
