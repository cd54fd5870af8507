/**
 * `npm test` step: fails when the modules under a folder (default `src`) import each other in a
 * circle, type-only imports included (a type-only circle still ties the modules' meanings together:
 * neither can be read, moved or split without the other). Prints each circle found.
 */
import path from 'node:path';
import { parseCircular, parseDependencyTree } from 'dpdm';

/** Every circle of imports among the `.ts` files under `root`, as paths relative to `root`. */
export async function importCycles(root: string): Promise<string[][]> {
  const context = path.resolve(root);
  const tree = await parseDependencyTree('**/*.ts', {
    context,
    cwd: context,
    // Types are kept: `import type` counts as an import.
    transform: false,
    skipDynamicImports: false,
  });
  return parseCircular(tree).map((circle) =>
    fromFirstByName(circle.map((file) => path.relative(context, path.resolve(context, file)))),
  );
}

/** The same circle, told from its first file by name: one wording whatever order the files were read in. */
function fromFirstByName(circle: string[]): string[] {
  const first = circle.indexOf([...circle].sort()[0]!);
  return [...circle.slice(first), ...circle.slice(0, first)];
}

if (require.main === module) {
  const root = process.argv[2] ?? 'src';
  importCycles(root)
    .then((circles) => {
      if (circles.length === 0) {
        process.stdout.write(`import cycles: none in ${root}/\n`);
        return;
      }
      for (const circle of circles)
        process.stderr.write(`import cycle: ${[...circle, circle[0]].join(' -> ')}\n`);
      process.exitCode = 1;
    })
    .catch((err: unknown) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    });
}
