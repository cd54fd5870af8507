/**
 * Redaction for anything that may be printed, thrown or stored: auth headers, API keys, `hfToken`,
 * served models' `apiKey`, and the query strings of signed URLs (which carry the signature).
 */
const SECRET_KEY =
  /^(authorization|x-api-key|api[-_]?key|apikey|hf[-_]?token|token|download[-_]?token|secret|password|access[-_]?token)$/i;
const URL_WITH_QUERY = /\b(https?:\/\/[^\s"'?#]+)\?[^\s"'#]*/g;
const REDACTED = '[redacted]';

/** Secret values known to this process (API keys from the environment), scrubbed from any text. */
const knownSecrets = new Set<string>();

export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 6) knownSecrets.add(value);
}

export function redactText(text: string): string {
  let out = text.replace(URL_WITH_QUERY, '$1?[redacted]');
  for (const secret of knownSecrets) out = out.split(secret).join(REDACTED);
  return out.replace(/\b(Bearer)\s+[A-Za-z0-9._~+/=-]+/g, `$1 ${REDACTED}`);
}

/** Deep copy with secret-named fields replaced and every string scrubbed. */
export function redact<T>(value: T): T {
  return redactValue(value, 0) as T;
}

function redactValue(value: unknown, depth: number): unknown {
  if (depth > 20) return '[too deep]';
  if (typeof value === 'string') return redactText(value);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      out[key] = SECRET_KEY.test(key) ? REDACTED : redactValue(v, depth + 1);
    }
    return out;
  }
  return value;
}

/** A URL without its query string and fragment: safe to store. */
export function stripQuery(url: string | undefined): string | undefined {
  if (!url) return url;
  const cut = url.search(/[?#]/);
  return cut === -1 ? url : url.slice(0, cut);
}
