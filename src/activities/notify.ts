import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { ProviderError } from '../providers/http/provider-error';
import { registerSecret, redactText } from '../providers/http/redact';
import { Transport } from '../providers/http/transport';

export interface PipelineNotification {
  workflowId: string;
  /** `phase` for every phase change; `approval-requested`, `failed` and `result` carry more text. */
  kind: 'phase' | 'approval-requested' | 'promoted' | 'failed' | 'result' | 'fleet-budget-stopped';
  phase: string;
  text: string;
}

/** Longest a delivery may take, connect to last byte (the activity's own timeout is 10 s). */
const WEBHOOK_TIMEOUT_MS = 8_000;

/** Why a webhook URL is unusable, or undefined: only absolute http(s) URLs are. */
export function webhookUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an absolute URL such as https://hooks.slack.com/services/…';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    return `must be an http(s) URL, not ${parsed.protocol}`;
  return undefined;
}

/**
 * Webhook notifications (Slack-compatible `{text}` body). The URL comes from the worker's environment
 * (NOTIFY_WEBHOOK_URL) because webhook URLs are credentials; without one, notifying does nothing.
 * A redirect is never followed (a 3xx could send the worker to an internal address) and counts as a
 * failure; the answer's body is never read; a delivery takes at most WEBHOOK_TIMEOUT_MS.
 */
export function notifyActivities(webhookUrl: string | undefined, opts: { timeoutMs?: number } = {}) {
  registerSecret(webhookUrl);
  const problem = webhookUrl === undefined ? undefined : webhookUrlProblem(webhookUrl);
  if (problem) throw new Error(`NOTIFY_WEBHOOK_URL ${problem}`);
  // Through the one transport: no redirect followed, the whole exchange bounded, the URL never in an error.
  const hook =
    webhookUrl === undefined
      ? undefined
      : new Transport({
          provider: 'webhook',
          baseURL: webhookUrl,
          authHeaders: {},
          timeoutMs: opts.timeoutMs ?? WEBHOOK_TIMEOUT_MS,
        });
  return {
    async notifyWebhook(n: PipelineNotification): Promise<{ delivered: boolean; configured?: boolean }> {
      // `configured: false` tells the pipeline to schedule no more notifications.
      if (!hook) return { delivered: false, configured: false };
      try {
        await hook.request({
          method: 'POST',
          route: '{NOTIFY_WEBHOOK_URL}',
          path: '',
          body: {
            text: `[${n.workflowId}] ${n.text}`,
            kind: n.kind,
            phase: n.phase,
            workflowId: n.workflowId,
          },
          schema: z.unknown(),
          // Status and headers are all we need: the body stays unread, whatever its size.
          discardBody: true,
        });
      } catch (err) {
        const status = err instanceof ProviderError && err.kind === 'http' ? err.status : undefined;
        if (status === undefined) throw err;
        if (status >= 300 && status < 400)
          throw ApplicationFailure.nonRetryable(
            redactText(
              `webhook answered HTTP ${status} (a redirect): not followed; set NOTIFY_WEBHOOK_URL to the final URL`,
            ),
            'WEBHOOK_REDIRECT',
          );
        throw new Error(redactText(`webhook answered HTTP ${status}`));
      }
      return { delivered: true };
    },
  };
}
