import { defineProvider } from '../plugin';
import { tensormeshActivities } from './activities';
import type { TensorMeshClient } from './client';

/** TensorMesh: serves models (a checkpoint or a model path) as served models; it does not train. */
export const tensormesh = defineProvider({
  name: 'tensormesh',
  activities: (client: TensorMeshClient) => tensormeshActivities(client),
  serve: [
    {
      target: 'tensormesh',
      create: 'provisionServedModel',
      read: 'getServedModel',
      smokeTest: 'smokeTestServedModel',
      remove: 'deleteServedModel',
    },
  ],
});
