import { ApplicationFailure } from '@temporalio/common';
import axios from 'axios';
import { registerSecret, redactText } from '../providers/http/redact';

export interface PipelineNotification {
  workflowId: string;
  /** `phase` for every phase change; `approval-requested`, `failed` and `result` carry more text. */
  kind: 'phase' | 'approval-requested' | 'promoted' | 'failed' | 'result';
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
  const timeoutMs = opts.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  return {
    async notifyWebhook(n: PipelineNotification): Promise<{ delivered: boolean; configured?: boolean }> {
      // `configured: false` tells the pipeline to schedule no more notifications.
      if (!webhookUrl) return { delivered: false, configured: false };
      const res = await axios.post(
        webhookUrl,
        { text: `[${n.workflowId}] ${n.text}`, kind: n.kind, phase: n.phase, workflowId: n.workflowId },
        {
          maxRedirects: 0,
          // Status and headers are all we need: the body stays unread, whatever its size.
          responseType: 'stream',
          timeout: timeoutMs, // idle socket
          signal: AbortSignal.timeout(timeoutMs), // the whole exchange
          validateStatus: () => true,
        },
      );
      (res.data as NodeJS.ReadableStream & { destroy(): void }).destroy();
      if (res.status >= 300 && res.status < 400)
        throw ApplicationFailure.nonRetryable(
          redactText(
            `webhook answered HTTP ${res.status} (a redirect): not followed; set NOTIFY_WEBHOOK_URL to the final URL`,
          ),
          'WEBHOOK_REDIRECT',
        );
      if (res.status >= 300) throw new Error(redactText(`webhook answered HTTP ${res.status}`));
      return { delivered: true };
    },
  };
}
