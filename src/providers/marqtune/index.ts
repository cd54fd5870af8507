import { defineProvider } from '../plugin';
import { marqtuneActivities } from './activities';
import type { MarqtuneClient } from './client';

/** Marqtune: fine-tuned models a pipeline adopts and watches; it does not serve (deploy them elsewhere). */
export const marqtune = defineProvider({
  name: 'marqtune',
  activities: (client: MarqtuneClient) => marqtuneActivities(client),
  train: { kinds: ['marqtune'], read: 'getMarqtuneModel', list: 'listMarqtuneModels' },
});
