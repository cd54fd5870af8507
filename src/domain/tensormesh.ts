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
