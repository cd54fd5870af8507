/**
 * Checks shared by the project's local HTTP servers (the codec server, the console): a request must be
 * addressed to a known host name (a DNS-rebinding page sends its own name in `Host`), and a secret is
 * compared in constant time.
 */
import crypto from 'node:crypto';

/** The loopback names every local server answers to. */
export const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

/** `Host` without its port: `localhost:8888` → `localhost`, `[::1]:8888` → `[::1]`. */
export function hostName(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const m = /^(\[[^\]]+\]|[^:]+)(?::\d+)?$/.exec(host.trim());
  return m?.[1].toLowerCase();
}

/** The set of host names a server answers to: the loopback ones and the extra ones configured. */
export function knownHosts(extra: string[] = []): Set<string> {
  return new Set([...LOOPBACK_HOSTS, ...extra.map((h) => h.toLowerCase())]);
}

/** Whether `given` equals `expected`, in time that does not depend on where they differ. */
export function sameSecret(given: string, expected: string): boolean {
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}
