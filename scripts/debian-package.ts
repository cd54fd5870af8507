/**
 * A command-line tool from a Debian package, installed with apt-get when missing (as root, or through
 * sudo): how `npm test` and `npm run screenshots` get Chromium and promtool on a fresh machine.
 */
import { execFileSync, spawnSync } from 'node:child_process';

const which = (name: string) =>
  spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();

/** The first of `binaries` on the PATH; else installs `pkg` and answers the first binary. */
export function ensureDebianTool(
  binaries: string[],
  pkg: string,
  say: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): string {
  const found = binaries.map(which).find(Boolean);
  if (found) return found;
  say(`${binaries[0]} not found: installing the Debian package \`${pkg}\` (apt-get)`);
  const asRoot = process.getuid?.() === 0;
  const run = (args: string[]) =>
    execFileSync(asRoot ? args[0] : 'sudo', asRoot ? args.slice(1) : args, {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  const install = ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', pkg];
  try {
    run(install);
  } catch {
    // The package lists are missing or stale: read them once, then install.
    run(['apt-get', 'update', '-qq']);
    run(install);
  }
  return which(binaries[0]) || binaries[0];
}
