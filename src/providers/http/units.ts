/** Parsing helpers for the documents' loosely typed values. */

const SIZE = /^\s*([\d.]+)\s*([KMGTP]?i?B?)\s*$/i;
const FACTORS: Record<string, number> = {
  '': 1,
  K: 1024,
  M: 1024 ** 2,
  G: 1024 ** 3,
  T: 1024 ** 4,
  P: 1024 ** 5,
};

/**
 * "2.3GB" → bytes. Sizes are storage sizes, read as binary units (GB = GiB), matching the registry's
 * `size.bytes` (13421772800 = 12.5 GiB). A plain number is already bytes.
 */
export function parseSize(value: string | number | undefined | null): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const m = SIZE.exec(value);
  if (!m) return undefined;
  const unit = m[2].toUpperCase().replace(/I?B$/, '');
  const factor = FACTORS[unit];
  const n = Number(m[1]);
  return factor === undefined || !Number.isFinite(n) ? undefined : Math.round(n * factor);
}

/** `validation_loss` / `validation-loss` / `ValidationLoss` → `validationLoss`. */
export function camelCase(name: string): string {
  const parts = name.split(/[_\-\s]+/).filter(Boolean);
  return parts
    .map((p, i) =>
      i === 0 ? p.charAt(0).toLowerCase() + p.slice(1) : p.charAt(0).toUpperCase() + p.slice(1),
    )
    .join('');
}

/** Keeps numeric metrics under camelCase names; non-numbers ("1250 tokens/sec") are dropped. */
export function numericMetrics(
  raw: Record<string, unknown> | undefined | null,
  prefix = '',
): Record<string, number> {
  const out: Record<string, number> = {};
  if (!raw) return out;
  for (const [key, value] of Object.entries(raw)) {
    const name = prefix ? camelCase(`${prefix}_${key}`) : camelCase(key);
    if (typeof value === 'number' && Number.isFinite(value)) out[name] = value;
  }
  return out;
}

/** ISO-8601 in UTC, or undefined for a value that is not a date. */
export function isoDate(value: string | undefined | null): string | undefined {
  if (!value) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

/** Retry-After as seconds or an HTTP date → milliseconds from now. */
export function parseRetryAfter(header: string | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const secs = Number(header);
  // A number is delay-seconds; a negative one is malformed (Date.parse would read "-3" as a year).
  if (Number.isFinite(secs)) return secs >= 0 ? Math.round(secs * 1000) : undefined;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
