import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { notifyActivities, type PipelineNotification } from '../../src/activities/notify';

/** A local HTTP server recording what it receives; `answer` decides the reply. */
async function server(answer: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
  const received: { method?: string; url?: string; body: string }[] = [];
  const s = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, body });
      answer(req, res);
    });
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  return {
    url,
    received,
    close: () => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r()))),
  };
}

const note: PipelineNotification = {
  workflowId: 'pipeline-x',
  kind: 'phase',
  phase: 'training',
  text: 'phase: training',
};
const servers: { close(): Promise<void> }[] = [];
afterEach(async () => void (await Promise.all(servers.splice(0).map((s) => s.close()))));
const serve = async (answer: Parameters<typeof server>[0]) => {
  const s = await server(answer);
  servers.push(s);
  return s;
};

describe('webhook notifications', () => {
  it('delivers the Slack-compatible body to the URL', async () => {
    const hook = await serve((_, res) => res.writeHead(200).end('ok'));
    await expect(notifyActivities(`${hook.url}/hooks/T0/B0/secret`).notifyWebhook(note)).resolves.toEqual({
      delivered: true,
    });
    expect(hook.received).toHaveLength(1);
    expect(JSON.parse(hook.received[0].body)).toMatchObject({
      text: '[pipeline-x] phase: training',
      kind: 'phase',
    });
  });

  it.each([301, 302, 303, 307, 308])(
    'never follows a redirect (%i): the other server receives nothing, the failure is not retried',
    async (status) => {
      const internal = await serve((_, res) => res.writeHead(200).end('internal secrets'));
      const hook = await serve((_, res) =>
        res.writeHead(status, { location: `${internal.url}/admin` }).end(),
      );
      const err = await notifyActivities(`${hook.url}/hook`)
        .notifyWebhook(note)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect(err).toMatchObject({ type: 'WEBHOOK_REDIRECT', nonRetryable: true });
      expect((err as Error).message).toContain(`HTTP ${status} (a redirect): not followed`);
      expect((err as Error).message).not.toContain(internal.url);
      expect(hook.received).toHaveLength(1);
      expect(internal.received).toHaveLength(0);
    },
  );

  it('never reads the answer body: an endless 200 still counts as delivered, at once', async () => {
    const hook = await serve((_, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = 'x'.repeat(64 * 1024);
      const timer = setInterval(() => res.write(chunk), 1);
      res.on('close', () => clearInterval(timer));
    });
    const started = Date.now();
    await expect(notifyActivities(hook.url, { timeoutMs: 5000 }).notifyWebhook(note)).resolves.toEqual({
      delivered: true,
    });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('gives up on a webhook that never answers after its timeout', async () => {
    const hook = await serve(() => undefined);
    const started = Date.now();
    await expect(notifyActivities(hook.url, { timeoutMs: 300 }).notifyWebhook(note)).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('gives up on a webhook that sends its headers a byte at a time, after the timeout for the whole exchange', async () => {
    const hook = await serve((req, res) => {
      const socket = res.socket!;
      const head = 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok';
      let i = 0;
      const timer = setInterval(
        () => (i < head.length ? socket.write(head[i++]) : clearInterval(timer)),
        100,
      );
      socket.on('close', () => clearInterval(timer));
    });
    const started = Date.now();
    await expect(notifyActivities(hook.url, { timeoutMs: 500 }).notifyWebhook(note)).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('refuses a URL that is not http(s), naming NOTIFY_WEBHOOK_URL', () => {
    expect(() => notifyActivities('file:///etc/passwd')).toThrow(
      'NOTIFY_WEBHOOK_URL must be an http(s) URL, not file:',
    );
    expect(() => notifyActivities('gopher://127.0.0.1:70/x')).toThrow('NOTIFY_WEBHOOK_URL');
    expect(() => notifyActivities('not a url')).toThrow('NOTIFY_WEBHOOK_URL must be an absolute URL');
  });

  it('does nothing without a URL', async () => {
    await expect(notifyActivities(undefined).notifyWebhook(note)).resolves.toEqual({
      delivered: false,
      configured: false,
    });
  });
});
