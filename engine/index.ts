import { ensureDevServerBinary } from './dev-server';
import { ensureTestServerExecutable } from './test-server';
import { engineCacheRoot } from './versions';

export { EngineProvisionError } from './errors';
export { engineCacheRoot } from './versions';

export interface Engines {
  /** `temporal` CLI binary, or undefined when TEMPORAL_ADDRESS points at a server the user runs. */
  devServer?: string;
  testServer: string;
  seconds: number;
}

export interface EngineRequest {
  devServer?: boolean;
  testServer?: boolean;
  log?: (line: string) => void;
}

/** Provisions the engines asked for (both by default); cached engines return in milliseconds. */
export async function ensureEngines(request: EngineRequest = {}): Promise<Engines> {
  const log = request.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const started = Date.now();
  const root = engineCacheRoot();
  const wantDev = (request.devServer ?? true) && !process.env.TEMPORAL_ADDRESS;
  const wantTest = request.testServer ?? true;
  // Sequential on purpose: both builds at once would fight over two cores.
  const devServer = wantDev ? await ensureDevServerBinary(root, log) : undefined;
  const testServer = wantTest ? await ensureTestServerExecutable(root, log) : '';
  return { devServer, testServer, seconds: (Date.now() - started) / 1000 };
}
