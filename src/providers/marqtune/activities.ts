import type { TrainingJob } from '../../domain/types';
import { classified } from '../../activities/failures';
import type { MarqtuneClient } from './client';

/** Marqtune fine-tuned models. */
export function marqtuneActivities(client: MarqtuneClient) {
  return {
    async listMarqtuneModels(): Promise<TrainingJob[]> {
      return classified(() => client.models.list());
    },
    async getMarqtuneModel(modelId: string): Promise<TrainingJob> {
      return classified(() => client.models.get(modelId));
    },
  };
}
