import { HttpReply, Router } from './router';
import type { SandboxState, SimMarqtuneModel } from './state';
import { liedStatus } from './status-lie';

/** Marqtune answers inside a `{statusCode, body}` envelope. */
const envelope = (statusCode: number, body: unknown) => ({ status: statusCode, body: { statusCode, body } });

export function marqtuneStatus(
  state: SandboxState,
  m: SimMarqtuneModel,
): { status: string; checkpoints: string[]; failureReason?: string } {
  const elapsed = state.now() - m.createdAtMs - state.options.queueMs;
  if (elapsed < 0) return { status: 'Initializing', checkpoints: [] };
  const done = Math.min(m.epochs, Math.floor(elapsed / state.options.epochMs));
  if (m.failAtEpoch !== undefined && done >= m.failAtEpoch) {
    return {
      status: 'Failed',
      checkpoints: range(m.failAtEpoch - 1),
      failureReason: `Training crashed in epoch ${m.failAtEpoch}: out of memory`,
    };
  }
  return { status: done >= m.epochs ? 'Ready' : 'Training', checkpoints: range(done) };
}

const range = (n: number) => Array.from({ length: Math.max(0, n) }, (_, i) => `checkpoint-${i + 1}`);

export function marqtuneRoutes(state: SandboxState): Router {
  const r = new Router();
  r.add('GET', '/models', () =>
    envelope(200, {
      models: [...state.marqtune.values()].map((m) => {
        const s = marqtuneStatus(state, m);
        const lie = liedStatus(state, {
          name: m.modelName,
          training: s.status === 'Training',
          trainingEpoch: s.checkpoints.length + 1,
        });
        return {
          modelId: m.modelId,
          modelName: m.modelName,
          status: lie ?? s.status,
          secondaryStatus: s.status === 'Training' ? 'Training' : s.status,
          ...(s.failureReason ? { failureReason: s.failureReason } : {}),
          baseModel: m.baseModel,
          baseCheckpoint: 'open_clip/ViT-B-32/laion2b_s34b_b79k',
          instanceType: 'marqtune.basic',
          checkpoints: s.checkpoints,
          hyperparameters: { epochs: m.epochs },
        };
      }),
    }),
  );
  return r;
}

/** Any other method on /models: the documented 400 envelope. */
export const marqtuneInvalidMethod = () =>
  new HttpReply(400, { statusCode: 400, body: { message: 'Invalid request method' } });
