import fs from 'node:fs';
import path from 'node:path';

/** Every docs page of three sections or more opens with a table of contents that names each of them. */
const docs = path.resolve(__dirname, '../../docs');
const pages = fs.readdirSync(docs).filter((f) => f.endsWith('.md'));

it.each(pages.map((p) => [p]))('%s lists its sections in a Contents', (page) => {
  const text = fs.readFileSync(path.join(docs, page), 'utf8');
  const sections = [...text.matchAll(/^## (.+)$/gm)].map((m) => m[1]).filter((h) => h !== 'Contents');
  if (sections.length < 3) return;
  const contents = /^## Contents\n([\s\S]*?)\n## /m.exec(text)?.[1] ?? '';
  expect(sections.filter((s) => !contents.includes(`[${s}]`))).toEqual([]);
});
