import axios from 'axios';
import { registerSecret, redactText } from '../providers/http/redact';

export interface PipelineNotification {
  workflowId: string;
  /** `phase` for every phase change; `approval-requested`, `failed` and `result` carry more text. */
  kind: 'phase' | 'approval-requested' | 'failed' | 'result';
  phase: string;
  text: string;
}

/**
 * Webhook notifications (Slack-compatible `{text}` body). The URL comes from the worker's environment
 * (NOTIFY_WEBHOOK_URL) because webhook URLs are credentials; without one, notifying does nothing.
 */
export function notifyActivities(webhookUrl: string | undefined) {
  registerSecret(webhookUrl);
  return {
    async notifyWebhook(n: PipelineNotification): Promise<{ delivered: boolean }> {
      if (!webhookUrl) return { delivered: false };
      const res = await axios.post(
        webhookUrl,
        { text: `[${n.workflowId}] ${n.text}`, kind: n.kind, phase: n.phase, workflowId: n.workflowId },
        { timeout: 10_000, validateStatus: () => true },
      );
      if (res.status >= 300) throw new Error(redactText(`webhook answered HTTP ${res.status}`));
      return { delivered: true };
    },
  };
}
