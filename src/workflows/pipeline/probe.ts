import { ApplicationFailure } from '@temporalio/workflow';
import { probeSummary, probeVerdict } from '../../decisions/probe';
import { parseDuration } from '../../domain/duration';
import type { PipelineSpec } from '../../domain/pipeline-input';
import { probes, protectionRecords } from '../activity-stubs';
import type { PipelineStatus } from './contract';
import { summarized } from '../summaries';
import { stepsOf } from './deploy-targets';
import { probed } from '../../decisions/pipeline-status';
import { moveTo } from './status';

type Probe = NonNullable<Extract<PipelineSpec['deploy'], { probe?: unknown }>['probe']>;

/**
 * The challenger answers the pipeline file's sample inputs beside the champion it would replace (when
 * one serves through runsync); it fails unless its error rate and p95 latency stay within the file's
 * thresholds. A failure here is a failed deploy: the caller removes the challenger, the champion serves on.
 */
export async function probeBesideChampion(
  spec: PipelineSpec,
  probe: Probe,
  challengerId: string,
  status: PipelineStatus,
): Promise<void> {
  // Read now, not at the gate: an approval may have waited hours while another run was promoted.
  const slotChampion = await summarized(
    protectionRecords.servingChampion,
    `what serves ${spec.name} now (the champion to probe beside)?`,
    spec.name,
  );
  const champion =
    slotChampion && stepsOf(slotChampion.target).probeable && slotChampion.deploymentId !== challengerId
      ? slotChampion.deploymentId
      : undefined;
  const [challengerFigures, championFigures] = await summarized(
    probes.probeEndpoints,
    `probe ${challengerId} with ${probe.inputs.length} sample inputs${champion ? ` beside champion ${champion}` : ''}`,
    { endpointIds: champion ? [challengerId, champion] : [challengerId], inputs: probe.inputs },
  );
  const verdict = probeVerdict(challengerFigures, championFigures, {
    maxErrorRate: probe.maxErrorRate,
    ...(probe.maxP95 !== undefined ? { maxP95Ms: parseDuration(probe.maxP95)! } : {}),
    maxP95OverChampionMs: parseDuration(probe.maxP95OverChampion)!,
  });
  const summary = probeSummary(challengerFigures, championFigures);
  moveTo(
    status,
    probed(status, {
      passed: verdict.passed,
      reasons: verdict.reasons,
      summary,
      ...(champion ? { champion } : {}),
    }),
  );
  if (!verdict.passed)
    throw ApplicationFailure.nonRetryable(
      `probe of ${challengerId} failed: ${verdict.reasons.join('; ')} (${summary})`,
      'PROBE_FAILED',
    );
}
