/**
 * `npm run docs`: rewrites the generated parts of the docs pages (between `<!-- generated:begin -->` and
 * `<!-- generated:end -->`) from the code they describe. `--check` changes nothing and exits 1 naming
 * each page whose generated part is out of date; `--root <dir>` works on another copy of the repository.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
// Prettier loads its core as an ES module: fine under tsx, not inside jest (which runs this as a process).
import * as prettier from 'prettier';
import { GENERATED_PAGES, generatedPart, withGeneratedPart } from './docs/generated-pages';

/** The page as `npm run docs` writes it: generated part replaced, then formatted as `npm run format` would. */
export async function regenerated(root: string, page: string, content: string): Promise<string> {
  const file = join(root, page);
  const text = withGeneratedPart(page, readFileSync(file, 'utf8'), content);
  // This repository's prettier settings, also for a copy elsewhere (--root).
  const options = (await prettier.resolveConfig(join(__dirname, '..', page))) ?? {};
  return prettier.format(text, { ...options, filepath: file });
}

async function main(argv: string[]): Promise<number> {
  const check = argv.includes('--check');
  const rootAt = argv.indexOf('--root');
  const root = resolve(rootAt >= 0 ? argv[rootAt + 1] : join(__dirname, '..'));
  const stale: string[] = [];
  for (const [page, render] of Object.entries(GENERATED_PAGES)) {
    const file = join(root, page);
    const current = readFileSync(file, 'utf8');
    const next = await regenerated(root, page, render());
    const upToDate = generatedPart(page, current) === generatedPart(page, next);
    if (check) {
      if (!upToDate) stale.push(page);
    } else if (next !== current) {
      writeFileSync(file, next);
      console.log(`wrote ${page}`);
    }
  }
  if (stale.length) {
    console.error(
      `out of date: ${stale.join(', ')} (the generated parts differ from the code): run npm run docs`,
    );
    return 1;
  }
  if (check) console.log('generated docs are up to date');
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    },
  );
}
