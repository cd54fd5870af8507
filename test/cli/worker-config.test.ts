import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/config/temporal-connection';
import { loadWorkerEnv } from '../../src/config/worker-config';

describe('worker environment', () => {
  it('defaults to the local dev server, the sandbox and webpack bundling at start', () => {
    const env = loadWorkerEnv({});
    expect(env).toMatchObject({
      TEMPORAL_ADDRESS: '127.0.0.1:7233',
      WORKER_MAX_CACHED_WORKFLOWS: expect.any(Number),
    });
    expect(env.WORKER_WORKFLOW_BUNDLE).toBeUndefined();
  });

  it('names a workflow bundle that does not exist and says how to make one', () => {
    expect(() => loadWorkerEnv({ WORKER_WORKFLOW_BUNDLE: '/nowhere/workflow-bundle.js' })).toThrow(
      ConfigError,
    );
    expect(() => loadWorkerEnv({ WORKER_WORKFLOW_BUNDLE: '/nowhere/workflow-bundle.js' })).toThrow(
      /WORKER_WORKFLOW_BUNDLE: .*does not exist \(npm run build/,
    );
  });

  it('accepts a prebuilt bundle', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ftp-bundle-')), 'workflow-bundle.js');
    fs.writeFileSync(file, '// bundle');
    expect(loadWorkerEnv({ WORKER_WORKFLOW_BUNDLE: file }).WORKER_WORKFLOW_BUNDLE).toBe(file);
  });

  it.each([
    ['ftp://hooks.example/x', 'NOTIFY_WEBHOOK_URL: must be an http(s) URL, not ftp:'],
    ['file:///etc/passwd', 'NOTIFY_WEBHOOK_URL: must be an http(s) URL, not file:'],
    ['hooks.slack.com/services/T0', 'NOTIFY_WEBHOOK_URL: must be an absolute URL'],
  ])('refuses the webhook URL %s at start, naming NOTIFY_WEBHOOK_URL', (url, message) => {
    expect(() => loadWorkerEnv({ NOTIFY_WEBHOOK_URL: url })).toThrow(message);
  });

  it('accepts an https webhook URL', () => {
    const url = 'https://hooks.slack.com/services/T0/B0/secret';
    expect(loadWorkerEnv({ NOTIFY_WEBHOOK_URL: url }).NOTIFY_WEBHOOK_URL).toBe(url);
  });
});
