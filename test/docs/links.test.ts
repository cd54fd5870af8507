import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * Every link in README.md and docs/ works in a fresh clone: a relative link names a file or folder of
 * the repository (not a git-ignored one, not one outside it), an anchor names a heading of its page, and
 * no link or path points outside the repository.
 */

const root = resolve(__dirname, '..', '..');

type Link = { line: number; target: string };

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as dashes. */
export function anchorOf(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The lines of a page outside fenced code blocks, with their numbers. */
function proseLines(text: string): { line: number; text: string }[] {
  const lines: { line: number; text: string }[] = [];
  let fence: string | undefined;
  text.split('\n').forEach((t, i) => {
    const opener = /^\s*(```+|~~~+)/.exec(t)?.[1];
    if (opener && (!fence || opener.startsWith(fence))) fence = fence ? undefined : opener;
    else if (!fence) lines.push({ line: i + 1, text: t });
  });
  return lines;
}

export function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const { text: t } of proseLines(text)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(t)?.[1];
    if (heading === undefined) continue;
    const base = anchorOf(heading);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n ? `${base}-${n}` : base);
  }
  return anchors;
}

export function linksOf(text: string): Link[] {
  const links: Link[] = [];
  for (const { line, text: t } of proseLines(text)) {
    const withoutCode = t.replace(/`[^`]*`/g, '``');
    for (const m of withoutCode.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g))
      links.push({ line, target: m[1] });
    for (const m of withoutCode.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(\s|$)/g))
      links.push({ line, target: m[1] });
    for (const m of withoutCode.matchAll(/\b(?:href|src)="([^"]+)"/g)) links.push({ line, target: m[1] });
  }
  return links;
}

/** Paths in code spans that climb out of the repository (`../something`): named, so they must exist. */
export function climbingPathsOf(text: string): Link[] {
  const found: Link[] = [];
  for (const { line, text: t } of proseLines(text))
    for (const m of t.matchAll(/`(\.\.\/[^`\s]*)`/g)) found.push({ line, target: m[1] });
  return found;
}

function pages(): string[] {
  const docs = join(root, 'docs');
  return [
    join(root, 'README.md'),
    ...readdirSync(docs)
      .filter((f) => f.endsWith('.md'))
      .map((f) => join(docs, f)),
  ];
}

const gitIgnored = (paths: string[]): Set<string> => {
  if (!paths.length) return new Set();
  const run = spawnSync('git', ['check-ignore', '--stdin'], {
    cwd: root,
    input: paths.join('\n'),
    encoding: 'utf8',
  });
  return new Set((run.stdout ?? '').split('\n').filter(Boolean));
};

/** Every problem of one page's links, as `file:line: target: why`. */
export function linkProblems(file: string, text = readFileSync(file, 'utf8')): string[] {
  const problems: string[] = [];
  const where = (l: Link) => `${relative(root, file)}:${l.line}: ${l.target}`;
  const local: { link: Link; path: string }[] = [];
  for (const link of linksOf(text)) {
    const { target } = link;
    if (/^(https?:|mailto:)/i.test(target)) continue;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) {
      problems.push(`${where(link)}: not a web link (${target.split(':')[0]}:)`);
      continue;
    }
    const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined];
    if (pathPart.startsWith('/')) {
      problems.push(`${where(link)}: an absolute path; link relative to the page`);
      continue;
    }
    const path = pathPart ? resolve(dirname(file), decodeURIComponent(pathPart)) : file;
    if (path !== root && !path.startsWith(root + sep)) {
      problems.push(`${where(link)}: outside the repository`);
      continue;
    }
    if (pathPart && !existsSync(path)) {
      problems.push(`${where(link)}: no such file in the repository`);
      continue;
    }
    if (pathPart) local.push({ link, path });
    if (anchor !== undefined && path.endsWith('.md') && (path === file || statSync(path).isFile())) {
      const anchors = anchorsOf(path === file ? text : readFileSync(path, 'utf8'));
      if (!anchors.has(anchor.toLowerCase()))
        problems.push(`${where(link)}: no heading with anchor #${anchor}`);
    }
  }
  const ignored = gitIgnored(local.map((l) => relative(root, l.path)));
  for (const { link, path } of local)
    if (ignored.has(relative(root, path))) problems.push(`${where(link)}: git-ignored, absent from a clone`);
  for (const link of climbingPathsOf(text)) {
    const path = resolve(dirname(file), link.target);
    if (!path.startsWith(root + sep) || !existsSync(path))
      problems.push(`${where(link)}: a path outside the repository or absent from it`);
  }
  return problems;
}

describe('links in README.md and docs/', () => {
  it('each points at a file of the repository, or a heading of it, or the web', () => {
    expect(pages().flatMap((page) => linkProblems(page))).toEqual([]);
  });

  it('a link to a missing file, outside the repository or to a missing heading is reported', () => {
    const page = join(root, 'docs', 'example.md');
    const text = [
      '# Example',
      '## A section',
      '[ok](#a-section) [ok](../README.md) [ok](https://temporal.io) [ok](report.png)',
      '[gone](missing.md) [out](../../elsewhere/notes.md) [abs](/etc/passwd) [no anchor](#nowhere)',
      '```text',
      '[in a code block](missing-too.md)',
      '```',
      'The documents are in `../shared/api-docs/`.',
    ].join('\n');
    expect(linkProblems(page, text)).toEqual([
      'docs/example.md:4: missing.md: no such file in the repository',
      'docs/example.md:4: ../../elsewhere/notes.md: outside the repository',
      'docs/example.md:4: /etc/passwd: an absolute path; link relative to the page',
      'docs/example.md:4: #nowhere: no heading with anchor #nowhere',
      'docs/example.md:8: ../shared/api-docs/: a path outside the repository or absent from it',
    ]);
  });

  it('anchors follow GitHub: code and punctuation dropped, repeated headings numbered', () => {
    expect(anchorOf('`status --json`')).toBe('status---json');
    expect(anchorOf('Serving slots: promotion, drain, rollback, retirement')).toBe(
      'serving-slots-promotion-drain-rollback-retirement',
    );
    expect([...anchorsOf('# A\n## A\n```\n# not a heading\n```\n')]).toEqual(['a', 'a-1']);
  });
});
