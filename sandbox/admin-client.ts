import axios from 'axios';
import type { FaultConfigInput } from './faults';
import type { CreationKind } from './state';

export interface SandboxCounters {
  requests: number;
  creations: Record<CreationKind, Record<string, number>>;
  duplicates: Record<CreationKind, string[]>;
  faultsInjected: Record<string, number>;
  retryAfterViolations: number;
  /** Documented profile: requests for routes the documents do not list, per route. */
  undocumentedRequests: Record<string, number>;
}

/** The sandbox's admin route, for tests, the chaos suite and benchmarks that run it in another process. */
export function sandboxAdmin(sandboxUrl: string) {
  const http = axios.create({ baseURL: `${sandboxUrl}/admin`, timeout: 10_000 });
  return {
    async setFaults(faults: FaultConfigInput): Promise<void> {
      await http.post('/faults', faults);
    },
    async counters(): Promise<SandboxCounters> {
      return (await http.get<SandboxCounters>('/counters')).data;
    },
    async state(): Promise<Record<string, unknown>> {
      return (await http.get('/state')).data;
    },
    async advanceClock(advanceMs: number): Promise<void> {
      await http.post('/clock', { advanceMs });
    },
    async seedCompletedJob(
      name: string,
      checkpoints: number,
    ): Promise<{ jobId: string; checkpoints: number }> {
      return (await http.post('/tensorone/jobs', { name, checkpoints })).data;
    },
    async addMarqtuneModel(input: {
      modelName: string;
      epochs: number;
      failAtEpoch?: number;
    }): Promise<{ modelId: string }> {
      return (await http.post('/marqtune/models', input)).data;
    },
  };
}
