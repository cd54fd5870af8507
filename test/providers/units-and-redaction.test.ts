import { ProviderError } from '../../src/providers/http/provider-error';
import { redact, redactText, registerSecret, stripQuery } from '../../src/providers/http/redact';
import {
  camelCase,
  isoDate,
  numericMetrics,
  parseRetryAfter,
  parseSize,
} from '../../src/providers/http/units';
import { routeTo } from '../../src/providers/http/transport';
import { createTensorMeshClient } from '../../src/providers/tensormesh/client';
import { startFixtureServer } from '../harness/fixture-server';

describe('units', () => {
  it.each([
    ['2.3GB', Math.round(2.3 * 1024 ** 3)],
    ['27.6GB', Math.round(27.6 * 1024 ** 3)],
    ['40 GiB', 40 * 1024 ** 3],
    ['512MB', 512 * 1024 ** 2],
    ['100', 100],
    [6710886400, 6710886400],
  ])('parses size %p', (input, bytes) => expect(parseSize(input)).toBe(bytes));

  it('refuses sizes that are not sizes', () => {
    expect(parseSize('big')).toBeUndefined();
    expect(parseSize(-1)).toBeUndefined();
    expect(parseSize(Number.NaN)).toBeUndefined();
    expect(parseSize('5i')).toBeUndefined();
    expect(parseSize('1.2.3GB')).toBeUndefined();
    expect(parseSize(null)).toBeUndefined();
  });

  it.each([
    ['1KB', 1024],
    ['1 kb', 1024],
    ['1MiB', 1024 ** 2],
    ['1TB', 1024 ** 4],
    ['1.5 TiB', 1.5 * 1024 ** 4],
    ['1PB', 1024 ** 5],
    ['100B', 100],
    ['100 b', 100],
    [' 5 GB ', 5 * 1024 ** 3],
    ['0.5KB', 512],
    ['1.0004B', 1],
  ])('reads %j as %i bytes (binary units, rounded to a byte)', (input, bytes) => {
    expect(parseSize(input)).toBe(bytes);
  });

  it.each(['1XB', 'KB', '1 K B', '1BB', '1GiBs', 'GB1', '1,5GB', '', Number.POSITIVE_INFINITY, undefined])(
    'refuses %j',
    (input) => {
      expect(parseSize(input)).toBeUndefined();
    },
  );

  it('names metrics in camelCase whatever the separators; an empty name stays empty', () => {
    expect(camelCase('ValidationLoss')).toBe('validationLoss');
    expect(camelCase('eval--perplexity__score')).toBe('evalPerplexityScore');
    expect(camelCase('loss')).toBe('loss');
    expect(camelCase('')).toBe('');
    expect(numericMetrics({ Loss: 1, bad: Number.NaN, inf: Number.POSITIVE_INFINITY, ok: 0 })).toEqual({
      loss: 1,
      ok: 0,
    });
    expect(numericMetrics({ loss: 0.5 }, '')).toEqual({ loss: 0.5 });
    expect(numericMetrics(undefined, 'validation')).toEqual({});
  });

  it('a date that is missing or empty is no date; any date is written in UTC', () => {
    expect(isoDate(undefined)).toBeUndefined();
    expect(isoDate(null)).toBeUndefined();
    expect(isoDate('')).toBeUndefined();
    expect(isoDate('2026-11-26T12:00:00+02:00')).toBe('2026-11-26T10:00:00.000Z');
  });

  it('Retry-After seconds are rounded to the millisecond; a huge HTTP date is far away, not negative', () => {
    const now = Date.parse('2026-11-26T10:00:00Z');
    expect(parseRetryAfter('0.0004', now)).toBe(0);
    expect(parseRetryAfter('2.0006', now)).toBe(2001);
    expect(parseRetryAfter('Fri, 27 Nov 2026 10:00:00 GMT', now)).toBe(86_400_000);
    expect(parseRetryAfter('Thu, 26 Nov 2026 10:00:00 GMT', now)).toBe(0);
  });

  it('an empty checkpoint is zero bytes, and units may drop the B', () => {
    expect(parseSize(0)).toBe(0);
    expect(parseSize('0GB')).toBe(0);
    expect(parseSize('2G')).toBe(2 * 1024 ** 3);
    expect(parseSize('3 KiB')).toBe(3 * 1024);
  });

  it('camelCases names with leading separators and nests a prefix', () => {
    expect(camelCase('_private_loss')).toBe('privateLoss');
    expect(camelCase('Validation Loss')).toBe('validationLoss');
    expect(numericMetrics({ loss: 0.3, accuracy: 0.9 }, 'validation')).toEqual({
      validationLoss: 0.3,
      validationAccuracy: 0.9,
    });
    expect(numericMetrics(null)).toEqual({});
  });

  it('camelCases snake_case and kebab metric names and drops non-numbers', () => {
    expect(camelCase('validation_loss')).toBe('validationLoss');
    expect(numericMetrics({ final_loss: 0.2, throughput: '1250 tokens/sec', 'f1-score': 0.9 })).toEqual({
      finalLoss: 0.2,
      f1Score: 0.9,
    });
  });

  it('normalizes dates to ISO UTC and reads Retry-After as seconds or a date', () => {
    expect(isoDate('2024-01-15T10:30:00Z')).toBe('2024-01-15T10:30:00.000Z');
    expect(isoDate('not a date')).toBeUndefined();
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('0')).toBe(0);
    expect(parseRetryAfter('1.5')).toBe(1500);
  });

  it('reads an HTTP-date Retry-After as the milliseconds until that moment, never negative', () => {
    const now = Date.parse('2026-11-26T10:00:00Z');
    expect(parseRetryAfter('Thu, 26 Nov 2026 10:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Thu, 26 Nov 2026 10:02:00 GMT', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 26 Nov 2026 09:59:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('-3', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('redaction', () => {
  it('removes secret-named fields at any depth and signed query strings', () => {
    const out = redact({
      headers: { Authorization: 'Bearer abc', 'x-api-key': 'k' },
      model: { apiKey: 'served', hfToken: 'hf_x' },
      url: 'https://c.example/signed/ck?expires=1&signature=zz',
    });
    expect(out).toEqual({
      headers: { Authorization: '[redacted]', 'x-api-key': '[redacted]' },
      model: { apiKey: '[redacted]', hfToken: '[redacted]' },
      url: 'https://c.example/signed/ck?[redacted]',
    });
    expect(stripQuery('https://x/y?sig=1')).toBe('https://x/y');
  });

  it('scrubs every occurrence of a secret, not only the first', () => {
    registerSecret('sk_twice_secret_99');
    const text = 'key=sk_twice_secret_99; again sk_twice_secret_99 and sk_twice_secret_99';
    expect(redactText(text)).toBe('key=[redacted]; again [redacted] and [redacted]');
    expect(redact({ a: 'sk_twice_secret_99/sk_twice_secret_99', b: ['x sk_twice_secret_99'] })).toEqual({
      a: '[redacted]/[redacted]',
      b: ['x [redacted]'],
    });
    const twoUrls = 'https://a.example/x?sig=1 then https://b.example/y?sig=2';
    expect(redactText(twoUrls)).toBe('https://a.example/x?[redacted] then https://b.example/y?[redacted]');
    expect(redactText('Bearer one and Bearer two')).toBe('Bearer [redacted] and Bearer [redacted]');
  });

  it('scrubs secrets of six characters or more and leaves shorter ones alone (they would shred words)', () => {
    registerSecret('abcde');
    expect(redactText('abcde')).toBe('abcde');
    registerSecret('k6k6k6');
    expect(redactText('key k6k6k6')).toBe('key [redacted]');
    registerSecret(undefined);
    registerSecret('');
  });

  it('redacts every spelling of a secret-named field, and no field that merely contains such a word', () => {
    const secretNames = [
      'authorization',
      'X-Api-Key',
      'api-key',
      'api_key',
      'apikey',
      'API_KEY',
      'hf-token',
      'hf_token',
      'token',
      'download-token',
      'download_token',
      'downloadToken',
      'secret',
      'password',
      'access_token',
      'accessToken',
    ];
    const out = redact(Object.fromEntries(secretNames.map((k) => [k, 'value'])));
    expect(Object.values(out).every((v) => v === '[redacted]')).toBe(true);
    const ordinary = {
      tokenizer: 'bpe',
      maxTokens: 512,
      secretName: 'db',
      xapikey: 1,
      apiKeys: 2,
      hftoken_id: 3,
    };
    expect(redact(ordinary)).toEqual(ordinary);
  });

  it('cuts a signed query up to the quote, space or fragment that ends it, in http and https URLs', () => {
    expect(redactText('{"url":"https://s.example/ck/1?X-Sig=abc&exp=9","n":1}')).toBe(
      '{"url":"https://s.example/ck/1?[redacted]","n":1}',
    );
    expect(redactText("at 'http://s.example/a?sig=1#part' now")).toBe(
      "at 'http://s.example/a?[redacted]#part' now",
    );
    expect(redactText('https://s.example/a?')).toBe('https://s.example/a?[redacted]');
    expect(redactText('no url?query=1 here')).toBe('no url?query=1 here');
    expect(redactText('Bearer a+b/c=~d_e-f.g next')).toBe('Bearer [redacted] next');
  });

  it('scrubs a bearer token whatever the spacing', () => {
    expect(redactText('Authorization: Bearer   tok.en')).toBe('Authorization: Bearer [redacted]');
  });

  it('leaves numbers, booleans and null as they are, and stops at 20 levels of nesting', () => {
    expect(redact({ n: 3, ok: true, none: null, list: [1, null] })).toEqual({
      n: 3,
      ok: true,
      none: null,
      list: [1, null],
    });
    const nest = (depth: number): unknown => (depth === 0 ? 'leaf' : { inner: nest(depth - 1) });
    const walk = (v: unknown, depth: number): unknown =>
      depth === 0 ? v : walk((v as { inner: unknown }).inner, depth - 1);
    expect(walk(redact(nest(20)), 20)).toBe('leaf');
    expect(walk(redact(nest(21)), 21)).toBe('[too deep]');
    expect(walk(redact([[[['x']]]]), 0)).toEqual([[[['x']]]]);
    // Arrays count as levels too.
    const nestList = (depth: number): unknown => (depth === 0 ? 'leaf' : [nestList(depth - 1)]);
    const walkList = (v: unknown, depth: number): unknown =>
      depth === 0 ? v : walkList((v as unknown[])[0], depth - 1);
    expect(walkList(redact(nestList(20)), 20)).toBe('leaf');
    expect(walkList(redact(nestList(21)), 21)).toBe('[too deep]');
  });

  it('strips the query and the fragment of a URL, and nothing of one without them', () => {
    expect(stripQuery('https://x/y#frag')).toBe('https://x/y');
    expect(stripQuery('https://x/y')).toBe('https://x/y');
    expect(stripQuery(undefined)).toBeUndefined();
    expect(stripQuery('')).toBe('');
  });

  it('scrubs registered secret values and bearer tokens from free text', () => {
    registerSecret('hf_very_secret_token_42');
    expect(redactText('token hf_very_secret_token_42 and Bearer abc.def')).toBe(
      'token [redacted] and Bearer [redacted]',
    );
  });

  it('an error that echoes the request never carries the hfToken or the key', async () => {
    // A provider that echoes the request body into its error message (some do).
    const server = await startFixtureServer({
      'POST /v1/models': {
        status: 400,
        body: { code: 3, message: 'bad request: hfToken=hf_echo_secret_123 key=mesh-key-777777' },
      },
    });
    const mesh = createTensorMeshClient({
      baseURL: server.url,
      apiKey: 'mesh-key-777777',
      hfToken: 'hf_echo_secret_123',
    });
    const err = await mesh.models
      .create({ modelName: 'm', userId: 'u', modelPath: 'p', gpuCount: 1, gpuType: 'GPU_TYPE_A100' })
      .catch((e: unknown) => e);
    await server.close();
    expect(err).toBeInstanceOf(ProviderError);
    const everything = JSON.stringify({
      json: err,
      message: (err as Error).message,
      stack: (err as Error).stack,
    });
    expect(everything).not.toContain('hf_echo_secret_123');
    expect(everything).not.toContain('mesh-key-777777');
    expect(server.seen[0].headers.authorization).toBe('Bearer mesh-key-777777');
  });
});

describe('routes: template and path from one definition', () => {
  it('fills each parameter encoded, and the template is what errors name', () => {
    expect(routeTo('/v2/training/jobs/:jobId/stop', { jobId: 'job/1 x' })).toEqual({
      route: '/v2/training/jobs/:jobId/stop',
      path: '/v2/training/jobs/job%2F1%20x/stop',
    });
    expect(routeTo('/v2/endpoints')).toEqual({ route: '/v2/endpoints', path: '/v2/endpoints' });
  });
  it('refuses a template whose parameter is not given', () => {
    expect(() => routeTo('/v2/training/checkpoints/:checkpointId', {})).toThrow(
      'route /v2/training/checkpoints/:checkpointId needs :checkpointId',
    );
  });
});

describe('a served TensorMesh model, asked through the one transport', () => {
  /** The API answers the model (with its own key and address); the served model answers `reply`. */
  async function smokeTest(reply: { status: number; body: unknown }) {
    const served = await startFixtureServer({ 'POST /v1/completions': reply });
    const api = await startFixtureServer({
      'GET /v1/models/m_1': {
        status: 200,
        body: {
          model: {
            modelId: 'm_1',
            modelName: 'support-bot',
            status: 'MODEL_STATUS_RUNNING',
            endpoint: served.url,
            apiKey: 'served-model-key-4242',
          },
        },
      },
    });
    try {
      const mesh = createTensorMeshClient({
        baseURL: api.url,
        apiKey: 'mesh-account-key-31337',
        timeoutMs: 2000,
      });
      const answer = await mesh.models.smokeTest('m_1', 'hi').catch((e: unknown) => e);
      return { answer, seen: served.seen, url: served.url };
    } finally {
      await Promise.all([served.close(), api.close()]);
    }
  }

  it('answers with its own key, never the account key, and previews the completion', async () => {
    const { answer, seen } = await smokeTest({ status: 200, body: { choices: [{ text: ' hello there' }] } });
    expect(answer).toEqual({ ok: true, output: ' hello there' });
    expect(seen[0].headers.authorization).toBe('Bearer served-model-key-4242');
    expect(JSON.stringify(seen)).not.toContain('mesh-account-key-31337');
  });

  it('a refusal is a ProviderError naming the route template and status, not the address', async () => {
    const { answer, url } = await smokeTest({
      status: 503,
      body: { error: { message: 'model is not serving' } },
    });
    expect(answer).toBeInstanceOf(ProviderError);
    expect(answer).toMatchObject({
      provider: 'tensormesh',
      route: 'POST {endpoint}/v1/completions',
      kind: 'http',
      status: 503,
      code: 'HTTP_503',
    });
    expect((answer as Error).message).not.toContain(url);
  });
});
