import { defineProvider } from '../plugin';
import { tensoroneEndpointActivities, tensoroneJobActivities } from './activities';
import type { TensorOneClient } from './client';
import { registryActivities } from './registry-activities';

/** TensorOne: trains, serves checkpoints as serverless endpoints, and keeps a model registry. */
export const tensorone = defineProvider({
  name: 'tensorone',
  activities: (client: TensorOneClient) => ({
    ...tensoroneJobActivities(client),
    ...tensoroneEndpointActivities(client),
    ...registryActivities(client),
  }),
  train: {
    kinds: ['tensorone', 'tensorone-existing'],
    start: 'startTrainingJob',
    read: 'getTrainingJob',
    list: 'listTrainingJobs',
    stop: 'stopTrainingJob',
  },
  serve: [
    {
      target: 'tensorone-endpoint',
      create: 'deployCheckpointEndpoint',
      read: 'getEndpoint',
      smokeTest: 'smokeTestEndpoint',
      remove: 'deleteEndpoint',
    },
    {
      target: 'tensorone-registry',
      create: 'deployRegisteredModel',
      read: 'getEndpoint',
      smokeTest: 'smokeTestEndpoint',
      remove: 'deleteEndpoint',
    },
  ],
  registry: {
    list: 'listRegisteredModels',
    get: 'getRegisteredModel',
    createVersion: 'createModelVersion',
    archive: 'archiveModel',
  },
});
