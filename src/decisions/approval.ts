/** An operator's (or the timeout's) answer to an approval request. */
interface ApprovalDecision {
  approved: boolean;
  by?: string;
  reason?: string;
}

export interface ApprovalPolicy {
  /** A duration text such as "24h", as the pipeline file gives it. */
  timeout: string;
  onTimeout: 'approve' | 'reject';
}

/** What holds when nobody decided within the approval timeout: the policy's `onTimeout`. */
export function decisionOnTimeout(policy: ApprovalPolicy): ApprovalDecision {
  return { approved: policy.onTimeout === 'approve', reason: `no decision within ${policy.timeout}` };
}

/** The gate's reason line for a decision: `approved by ana: looks good`, `rejected: no decision within 1h`. */
export function approvalReason(d: ApprovalDecision): string {
  return `${d.approved ? 'approved' : 'rejected'}${d.by ? ` by ${d.by}` : ''}${d.reason ? `: ${d.reason}` : ''}`;
}

/** Why a rejected candidate is not deployed, and the failure type: the operator's or the timeout's. */
export function rejection(
  checkpointId: string,
  d: ApprovalDecision,
  decided: boolean,
): { message: string; type: 'APPROVAL_REJECTED' | 'APPROVAL_TIMED_OUT' } {
  return {
    message: `deployment of ${checkpointId} rejected${d.reason ? `: ${d.reason}` : ''}`,
    type: decided ? 'APPROVAL_REJECTED' : 'APPROVAL_TIMED_OUT',
  };
}
