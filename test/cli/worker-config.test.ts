import { dispatchRateFor } from '../../src/provider-rate/limits';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ConfigError,
  parseEnv,
  temporalConnectionOptions,
  temporalEnvSchema,
} from '../../src/config/temporal-connection';
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

  it.each([
    ['0', 'above 0'],
    ['-2', 'above 0'],
    ['fast', 'must be a number of requests per second'],
    ['Infinity', 'must be a number of requests per second'],
  ])('refuses a provider rate limit of %s, naming the variable', (value, message) => {
    for (const variable of ['TENSORONE_MAX_RPS', 'TENSORMESH_MAX_RPS', 'MARQTUNE_MAX_RPS']) {
      expect(() => loadWorkerEnv({ [variable]: value })).toThrow(`${variable}: must be a number`);
      expect(() => loadWorkerEnv({ [variable]: value })).toThrow(message);
    }
  });

  it('reads a provider rate limit as requests per second (fractions too); unset is no limit', () => {
    expect(loadWorkerEnv({ TENSORONE_MAX_RPS: '5', MARQTUNE_MAX_RPS: '0.5' })).toMatchObject({
      TENSORONE_MAX_RPS: 5,
      MARQTUNE_MAX_RPS: 0.5,
    });
    expect(loadWorkerEnv({}).TENSORMESH_MAX_RPS).toBeUndefined();
  });

  it('accepts an https webhook URL', () => {
    const url = 'https://hooks.slack.com/services/T0/B0/secret';
    expect(loadWorkerEnv({ NOTIFY_WEBHOOK_URL: url }).NOTIFY_WEBHOOK_URL).toBe(url);
  });
});

describe("Temporal connection, read as Temporal's CLI and SDKs read it (envconfig)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftp-envconfig-'));
  const configFile = path.join(dir, 'temporal.toml');
  fs.writeFileSync(
    configFile,
    [
      '[profile.default]',
      'address = "temporal.internal:7233"',
      'namespace = "pipelines-prod"',
      '[profile.staging]',
      'address = "staging.internal:7233"',
      'namespace = "pipelines-staging"',
    ].join('\n'),
  );
  const cert = path.join(dir, 'client.pem');
  const key = path.join(dir, 'client.key');
  fs.writeFileSync(cert, 'CERT');
  fs.writeFileSync(key, 'KEY');
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of ['TEMPORAL_CONFIG_FILE', 'TEMPORAL_PROFILE']) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it('takes address and namespace from the profile file; the variables win over it', () => {
    process.env.TEMPORAL_CONFIG_FILE = configFile;
    expect(loadWorkerEnv({})).toMatchObject({
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_NAMESPACE: 'pipelines-prod',
    });
    process.env.TEMPORAL_PROFILE = 'staging';
    expect(loadWorkerEnv({}).TEMPORAL_ADDRESS).toBe('staging.internal:7233');
    expect(loadWorkerEnv({ TEMPORAL_ADDRESS: 'other:7233', TEMPORAL_NAMESPACE: 'ns' })).toMatchObject({
      TEMPORAL_ADDRESS: 'other:7233',
      TEMPORAL_NAMESPACE: 'ns',
    });
  });

  it('names TEMPORAL_PROFILE when the profile is not in the file', () => {
    process.env.TEMPORAL_CONFIG_FILE = configFile;
    process.env.TEMPORAL_PROFILE = 'nope';
    expect(() => loadWorkerEnv({})).toThrow(/TEMPORAL_PROFILE: Temporal config file: .*nope/);
  });

  it('reads the old TLS names as aliases of the standard ones; an API key turns TLS on', () => {
    const old = temporalConnectionOptions(
      parseEnv(temporalEnvSchema, { TEMPORAL_TLS_CERT: cert, TEMPORAL_TLS_KEY: key }),
    );
    const pair = (old.tls as { clientCertPair?: { crt: Uint8Array; key: Uint8Array } }).clientCertPair;
    expect([Buffer.from(pair!.crt).toString(), Buffer.from(pair!.key).toString()]).toEqual(['CERT', 'KEY']);
    const keyed = temporalConnectionOptions(parseEnv(temporalEnvSchema, { TEMPORAL_API_KEY: 'k-123' }));
    expect(keyed).toMatchObject({ address: '127.0.0.1:7233', apiKey: 'k-123', tls: true });
    expect(temporalConnectionOptions(parseEnv(temporalEnvSchema, {})).tls).toBeUndefined();
    expect(() => parseEnv(temporalEnvSchema, { TEMPORAL_TLS_CLIENT_CERT_PATH: '/nowhere.pem' })).toThrow(
      /TEMPORAL_TLS_CLIENT_CERT_PATH: file does not exist/,
    );
  });
});

describe('the dispatch rate a provider limit gives its task queue', () => {
  it('is half the limit: the token bucket burst plus a second of refill then fill one second exactly', () => {
    expect(dispatchRateFor(4)).toBe(2);
    expect(dispatchRateFor(0.5)).toBe(0.25);
    expect(dispatchRateFor(undefined)).toBeUndefined();
  });
});
