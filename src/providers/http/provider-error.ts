import type { ProviderName } from '../../domain/types';

/** Who answers: a provider, or the operator's notification webhook. */
export type Remote = ProviderName | 'webhook';

type ProviderErrorKind = 'http' | 'network' | 'malformed';

export interface ProviderErrorInit {
  provider: Remote;
  /** Method and route template, e.g. `GET /v2/training/jobs/:id` — never a query string. */
  route: string;
  kind: ProviderErrorKind;
  status?: number;
  /** Provider error code (`DATASET_NOT_FOUND` …) or one of ours: HTTP_<status>, NETWORK_ERROR, MALFORMED_RESPONSE. */
  code: string;
  message: string;
  details?: Record<string, unknown>;
  retryAfterMs?: number;
  requestId?: string;
}

/** The one error type every provider client throws. Built only from redacted material. */
export class ProviderError extends Error {
  readonly provider: Remote;
  readonly route: string;
  readonly kind: ProviderErrorKind;
  readonly status?: number;
  readonly code: string;
  readonly details: Record<string, unknown>;
  readonly retryAfterMs?: number;
  readonly requestId?: string;
  private readonly init: ProviderErrorInit;

  constructor(init: ProviderErrorInit) {
    const status = init.status ? ` ${init.status}` : '';
    super(`${init.provider} ${init.route}:${status} ${init.code}: ${init.message}`);
    this.name = 'ProviderError';
    this.provider = init.provider;
    this.route = init.route;
    this.kind = init.kind;
    this.status = init.status;
    this.code = init.code;
    this.details = init.details ?? {};
    this.retryAfterMs = init.retryAfterMs;
    this.requestId = init.requestId;
    this.init = init;
  }

  /** The same failure, its message followed by `note` (what the caller knows about why). */
  withNote(note: string): ProviderError {
    return new ProviderError({ ...this.init, message: `${this.init.message}; ${note}` });
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      provider: this.provider,
      route: this.route,
      kind: this.kind,
      status: this.status,
      code: this.code,
      details: this.details,
      retryAfterMs: this.retryAfterMs,
      requestId: this.requestId,
    };
  }
}
