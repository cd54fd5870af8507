import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import { standingInSlot, standingText } from '../../decisions/slot-standing';
import type { PipelineStatus } from '../../workflows/pipeline/contract';
import { pipelineIdArgument } from '../flags';
import { out } from '../io';
import { statusLines } from '../render';
import { withPipeline } from '../with-client';

/**
 * What the pipeline's deployment is now, read from its name's serving slot (a rollback or a later run
 * moves it on, which the run's own status cannot know). A slot that cannot be read leaves the run's
 * figure, said to be the run's.
 */
async function servingStanding(
  client: Client,
  taskQueue: string,
  status: PipelineStatus,
): Promise<{ text: string; json: Record<string, unknown> } | undefined> {
  const name = status.slot?.name;
  const deploymentId = status.deployment?.id;
  if (!name || !deploymentId) return undefined;
  try {
    const { servingSlots } = await import('../../clients/serving-slots');
    const slot = await servingSlots(client, taskQueue).read(name);
    if (!slot) return undefined;
    const standing = standingInSlot(slot, deploymentId);
    return { text: standingText(standing, name), json: { slot: name, ...standing } };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return {
      text: `${status.deployment?.status} when the run last looked (the serving slot ${name} could not be read: ${why})`,
      json: { slot: name, kind: 'unknown', error: why },
    };
  }
}

/**
 * Where a pipeline waiting for the fleet budget stands now, read from the budget (its own words are
 * those of its last ask, every 15 minutes: a `starter budget set` since may have changed the limit, the
 * window or its place). None when it is not in line or the budget cannot be read.
 */
async function budgetStanding(
  client: Client,
  taskQueue: string,
  holder: { workflowId: string; runId: string },
): Promise<string | undefined> {
  try {
    const [{ fleetBudgets }, { lineStanding }] = await Promise.all([
      import('../../clients/fleet-budget'),
      import('../../decisions/fleet-budget'),
    ]);
    const state = await fleetBudgets(client, taskQueue).state();
    return state ? lineStanding(state.ledger, holder, Date.now()) : undefined;
  } catch {
    return undefined;
  }
}

/** `starter status <workflowId>`: where a pipeline is, with the watch's latest look while it trains. */
export function addStatusCommand(program: Command): void {
  program
    .command('status')
    .description('show where a pipeline is')
    .addArgument(pipelineIdArgument())
    .option('--json', 'print the status object')
    .action(async (given: string, opts: { json?: boolean }) =>
      withPipeline(given, async ({ id, client, taskQueue }) => {
        const [{ statusQuery }, { latestLook, withLatestLook }, { noWorkerMessage, NoWorkerPolling }] =
          await Promise.all([
            import('../../workflows/pipeline/contract'),
            import('../latest-look'),
            import('../workers'),
          ]);
        const handle = client.workflow.getHandle(id);
        const description = await handle.describe();
        // A query needs a worker: without one it would only time out.
        const noWorker = await noWorkerMessage(client, description.taskQueue);
        if (noWorker) throw new NoWorkerPolling(`cannot read ${id}: ${noWorker}`);
        const [queried, look] = await Promise.all([
          handle.query(statusQuery),
          // A look that cannot be read (no watch pending, a describe refused) leaves the query's figures.
          latestLook(client.workflow, id).catch(() => undefined),
        ]);
        const serving = await servingStanding(client, taskQueue, queried);
        const inLine =
          queried.phase === 'awaiting-budget' && description.status.name === 'RUNNING'
            ? await budgetStanding(client, description.taskQueue, {
                workflowId: id,
                runId: description.runId,
              })
            : undefined;
        // Between the workflow's reports, the watch's latest look is the fresher figure.
        const status =
          queried.phase === 'training'
            ? { ...queried, training: withLatestLook(queried.training, look) }
            : inLine
              ? { ...queried, fleetBudget: inLine }
              : queried;
        if (opts.json)
          return out({
            workflowId: id,
            runStatus: description.status.name,
            ...status,
            ...(serving ? { serving: serving.json } : {}),
          });
        out([...statusLines(id, status, serving?.text), `  workflow: ${description.status.name}`].join('\n'));
      }),
    );
}
