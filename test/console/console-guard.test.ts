/**
 * The console's guards, as a DNS-rebinding page, a cross-site form or a stranger on the network meets
 * them: nothing reaches Temporal unless the request is the console's own.
 */
import http from 'node:http';
import { consoleOptionsFromEnv, startConsole, type RunningConsole } from '../../src/console/server';
import { ConfigError } from '../../src/config/temporal-connection';
import { connectDevServer, type DevServerHandle, uniqueTaskQueue } from '../harness/temporal';

let dev: DevServerHandle;
let open: RunningConsole;
let guarded: RunningConsole;
const options = {
  port: 0,
  host: '127.0.0.1',
  allowedHosts: [],
  uiUrl: 'http://localhost:8233',
  namespace: 'default',
  taskQueue: uniqueTaskQueue('console-guard'),
  refreshMs: 1000,
};
const TOKEN = 'a-token-of-at-least-16-chars';

beforeAll(async () => {
  dev = await connectDevServer();
  open = await startConsole(dev.client, options);
  guarded = await startConsole(dev.client, { ...options, token: TOKEN });
});
afterAll(async () => {
  await open.close();
  await guarded.close();
  await dev.close();
});

function request(
  base: string,
  path: string,
  {
    method = 'GET',
    headers = {},
    body,
  }: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const form = { 'content-type': 'application/x-www-form-urlencoded' };

it('answers only to its own host names (a DNS-rebinding page sends its own)', async () => {
  expect((await request(open.url, '/', { headers: { host: 'evil.example:80' } })).status).toBe(421);
  const page = await request(open.url, '/');
  expect(page.status).toBe(200);
  expect(page.headers['content-security-policy']).toContain("script-src 'nonce-");
  expect(page.headers['x-frame-options']).toBe('DENY');
});

it('refuses an action from another origin, without the form token, or not as a form', async () => {
  const own = open.url;
  const csrf = /name="csrf-token" content="([^"]+)"/.exec((await request(own, '/')).body)?.[1];
  expect(csrf).toBeDefined();
  const post = (headers: Record<string, string>, body: string) =>
    request(own, '/pipelines/pipeline-nope/approve', { method: 'POST', headers, body });
  const crossSite = await post({ ...form, origin: 'http://evil.example' }, `csrf=${csrf}&checkpointId=c1`);
  expect(crossSite.status).toBe(403);
  expect((await post({ ...form, origin: 'null' }, `csrf=${csrf}&checkpointId=c1`)).status).toBe(403);
  expect((await post({ ...form, origin: own }, 'checkpointId=c1')).body).toContain('not from this console');
  expect((await post({ 'content-type': 'text/plain', origin: own }, `csrf=${csrf}`)).status).toBe(415);
  // The console's own form reaches the pipeline: here there is none, and the CLI's refusal says so.
  const ours = await post({ ...form, origin: own }, `csrf=${encodeURIComponent(csrf!)}&checkpointId=c1`);
  expect(ours.status).toBe(409);
  expect(ours.body).toContain('refused: no pipeline pipeline-nope in this namespace');
});

it('with a token, refuses anyone without it and keeps it out of the address bar', async () => {
  expect((await request(guarded.url, '/')).status).toBe(401);
  expect((await request(guarded.url, '/?token=wrong-token-of-16-chars')).status).toBe(401);
  const signIn = await request(guarded.url, `/?token=${TOKEN}&phase=training`);
  expect(signIn.status).toBe(303);
  expect(signIn.headers.location).toBe('/?phase=training');
  const cookie = signIn.headers['set-cookie']![0].split(';')[0];
  expect(signIn.headers['set-cookie']![0]).toMatch(/HttpOnly; SameSite=Strict/);
  const page = await request(guarded.url, '/', { headers: { cookie } });
  expect(page.status).toBe(200);
  expect(page.body).not.toContain(TOKEN);
  expect((await request(guarded.url, '/', { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(
    200,
  );
});

it('binds to 127.0.0.1 by default and refuses any other address without a token', () => {
  expect(consoleOptionsFromEnv({}).host).toBe('127.0.0.1');
  expect(() => consoleOptionsFromEnv({ CONSOLE_HOST: '0.0.0.0' })).toThrow(ConfigError);
  expect(() => consoleOptionsFromEnv({ CONSOLE_HOST: '0.0.0.0' })).toThrow(/CONSOLE_TOKEN/);
  expect(consoleOptionsFromEnv({ CONSOLE_HOST: '0.0.0.0', CONSOLE_TOKEN: TOKEN }).host).toBe('0.0.0.0');
});

it('refuses a filter it does not know, naming it', async () => {
  const r = await request(open.url, '/?phase=sleeping');
  expect(r.status).toBe(400);
  expect(r.body).toContain('phase');
});
