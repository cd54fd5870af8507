/** TensorMesh's documented enums, shared by the pipeline file's schema, the client and the sandbox. */

/** GPU types a model can be deployed on (the pipeline file's `deploy.gpuType`). */
export const TENSORMESH_DEPLOY_GPU_TYPES = [
  'GPU_TYPE_A100',
  'GPU_TYPE_H100',
  'GPU_TYPE_H200',
  'GPU_TYPE_B200',
] as const;
/** Every documented `GpuType`, the unspecified one included. */
export const TENSORMESH_GPU_TYPES = ['GPU_TYPE_UNSPECIFIED', ...TENSORMESH_DEPLOY_GPU_TYPES] as const;
export const TENSORMESH_CLOUD_PROVIDERS = [
  'CLOUD_PROVIDER_UNSPECIFIED',
  'CLOUD_PROVIDER_NEBIUS',
  'CLOUD_PROVIDER_LAMBDA',
  'CLOUD_PROVIDER_ONPREM',
] as const;

/**
 * The request a served model is smoke-tested with. The TensorMesh documents give no serving protocol,
 * so this is an assumption: by default an OpenAI-style completion, any 2xx answer counting. The
 * pipeline file's `deploy.smokeRequest` replaces it for a model that speaks otherwise.
 */
export interface ServedModelRequest {
  /** Path under the served model's `endpoint`. */
  path: string;
  /** JSON body; string values `{prompt}` and `{modelName}` are replaced by the prompt and the model's name. */
  body: Record<string, unknown>;
  /** A dotted path (`choices.0.text`) that must hold a non-empty value in the answer; unset: any 2xx counts. */
  answerField?: string;
}

export const DEFAULT_SERVED_MODEL_REQUEST: ServedModelRequest = {
  path: '/v1/completions',
  body: { model: '{modelName}', prompt: '{prompt}', max_tokens: 8 },
};

/** The pipeline file's setting that changes the served model's request (named in its failures). */
export const SERVED_MODEL_REQUEST_SETTING = 'deploy.smokeRequest';
