import type { DeploymentStatus } from '../../domain/types';

/**
 * THE ONE PLACE for what the TensorMesh documents do not say. They document only `POST /v1/models` and
 * its response (`status`, `events`, `endpoint`). To read a model's status later, list models by name
 * (to adopt one created by a lost response) and remove a failed one, this project assumes the usual
 * gRPC-gateway REST mapping of the same `ModelService`:
 *   GET    /v1/models/{modelId}        → { model: Model }
 *   GET    /v1/models?modelName={name} → { models: Model[] }
 *   DELETE /v1/models/{modelId}        → {}
 * and these `MODEL_STATUS_*` values beyond the documented `MODEL_STATUS_UNSPECIFIED`.
 * If the real API differs, change this file (and the sandbox follows the same file). How a served model
 * is asked for an answer is the pipeline file's `deploy.smokeRequest` (default: src/domain/tensormesh.ts).
 */
export const TENSORMESH_ROUTES = {
  get: '/v1/models/:modelId',
  listByName: '/v1/models',
  delete: '/v1/models/:modelId',
} as const;

const TENSORMESH_MODEL_STATUSES: Record<string, DeploymentStatus> = {
  MODEL_STATUS_UNSPECIFIED: 'deploying',
  MODEL_STATUS_PENDING: 'deploying',
  MODEL_STATUS_PROVISIONING: 'deploying',
  MODEL_STATUS_DEPLOYING: 'deploying',
  MODEL_STATUS_RUNNING: 'active',
  MODEL_STATUS_READY: 'active',
  MODEL_STATUS_FAILED: 'failed',
  MODEL_STATUS_DELETING: 'deleted',
  MODEL_STATUS_DELETED: 'deleted',
};

export function tensormeshStatus(raw: string): DeploymentStatus {
  return TENSORMESH_MODEL_STATUSES[raw] ?? 'unknown';
}
