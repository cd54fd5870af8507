/**
 * `starter console`: the pipeline console, a small local web app. It reads Temporal through the client
 * and acts through the same validated Updates as the CLI.
 *
 * Like the codec server it answers only requests addressed to it by a known host name (DNS rebinding),
 * binds to 127.0.0.1 unless told otherwise, and needs a token for any other address. An action is a
 * POST whose Origin is the console's own and whose form carries the console's per-process CSRF token,
 * so no other page the operator opens can act through it. Pages allow only their own nonce'd script.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { hostName, knownHosts, sameSecret } from '../codec/request-guard';
import { connectClient, parseEnv, temporalEnvSchema } from '../config/temporal-connection';
import {
  pipelineAction,
  PIPELINE_ACTIONS,
  slotRollback,
  type ActionOutcome,
  type PipelineAction,
} from './actions';
import {
  curveHtml,
  factsHtml,
  fleetPage,
  notFoundPage,
  phaseGraph,
  pipelinePage,
  type PageContext,
} from './pages';
import { PIPELINE_PHASES } from '../domain/pipeline-phases';
import { PROVIDERS, readFleet, readPipeline, readStatus, TrainingFigures, type FleetFilter } from './read';

export interface ConsoleOptions {
  port: number;
  /** The address to bind: loopback unless a token is set. */
  host: string;
  /** Required for a non-loopback bind: `Authorization: Bearer`, or once as `?token=` (kept in a cookie). */
  token?: string;
  /** Host names besides the loopback ones the console answers to. */
  allowedHosts: string[];
  /** The Temporal Web UI, for links to histories. */
  uiUrl: string;
  namespace: string;
  taskQueue: string;
  /** How often the live page looks again (ms). */
  refreshMs: number;
  by?: string;
}

const LOOPBACK_BINDS = new Set(['127.0.0.1', '::1', 'localhost']);
const COOKIE = 'ftp_console';
const MAX_FORM_BYTES = 16 * 1024;

export const consoleEnvSchema = z
  .object({
    CONSOLE_PORT: z.coerce.number().int().min(0).max(65_535).default(8234),
    CONSOLE_HOST: z.string().min(1).default('127.0.0.1'),
    CONSOLE_TOKEN: z
      .string()
      .min(16, 'must be at least 16 characters (e.g. openssl rand -hex 32)')
      .optional(),
    CONSOLE_ALLOWED_HOSTS: z
      .string()
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.string().regex(/^[A-Za-z0-9.-]+$/, 'must be host names such as console.internal')))
      .default([]),
    TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65_535).default(8233),
    TEMPORAL_UI_URL: z
      .string()
      .regex(/^https?:\/\/[^\s]+$/, 'must be a URL such as http://localhost:8233')
      .optional(),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TEMPORAL_TASK_QUEUE: z.string().min(1).default('finetune-pipelines'),
  })
  .refine((e) => LOOPBACK_BINDS.has(e.CONSOLE_HOST) || e.CONSOLE_TOKEN, {
    message: 'a bind address other than 127.0.0.1 needs CONSOLE_TOKEN (anyone who reaches it could act)',
    path: ['CONSOLE_HOST'],
  });

export function consoleOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ConsoleOptions {
  const e = parseEnv(consoleEnvSchema, env);
  return {
    port: e.CONSOLE_PORT,
    host: e.CONSOLE_HOST,
    token: e.CONSOLE_TOKEN,
    allowedHosts: e.CONSOLE_ALLOWED_HOSTS,
    uiUrl: (e.TEMPORAL_UI_URL ?? `http://localhost:${e.TEMPORAL_UI_PORT}`).replace(/\/$/, ''),
    namespace: e.TEMPORAL_NAMESPACE,
    taskQueue: e.TEMPORAL_TASK_QUEUE,
    refreshMs: 1000,
    by: env.USER,
  };
}

const filterSchema = z.object({
  name: z.string().max(200).optional(),
  phase: z.enum(PIPELINE_PHASES as [string, ...string[]]).optional(),
  provider: z.enum(PROVIDERS).optional(),
});

function cookieToken(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

function readForm(req: http.IncomingMessage): Promise<URLSearchParams | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_FORM_BYTES) {
        req.removeAllListeners('data').removeAllListeners('end').pause();
        resolve(undefined);
      } else chunks.push(c);
    });
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
  });
}

export interface RunningConsole {
  server: http.Server;
  url: string;
  close(): Promise<void>;
}

export async function startConsole(client: Client, options: ConsoleOptions): Promise<RunningConsole> {
  if (!LOOPBACK_BINDS.has(options.host) && !options.token)
    throw new Error('a bind address other than 127.0.0.1 needs a token');
  const hosts = knownHosts(options.allowedHosts);
  const csrf = crypto.randomBytes(24).toString('base64url');
  const figures = new TrainingFigures();
  const streams = new Set<http.ServerResponse>();

  const server = http.createServer((req, res) => {
    const nonce = crypto.randomBytes(16).toString('base64');
    const ctx: PageContext = {
      csrf,
      nonce,
      uiUrl: options.uiUrl,
      namespace: options.namespace,
      by: options.by,
    };
    const send = (status: number, body: string, headers: http.OutgoingHttpHeaders = {}) =>
      void res
        .writeHead(status, {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'no-store',
          'x-content-type-options': 'nosniff',
          // same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on the console's own forms.
          'referrer-policy': 'same-origin',
          'x-frame-options': 'DENY',
          'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
          ...headers,
        })
        .end(body);
    const refuse = (status: number, message: string, headers: http.OutgoingHttpHeaders = {}) =>
      void res
        .writeHead(status, { 'content-type': 'text/plain; charset=utf-8', connection: 'close', ...headers })
        .end(`${message}\n`);

    const host = hostName(req.headers.host);
    if (!host || !hosts.has(host))
      return refuse(
        421,
        'unknown Host: this console answers only to its own host names (CONSOLE_ALLOWED_HOSTS)',
      );
    const url = new URL(req.url ?? '/', 'http://console');
    if (options.token) {
      const given = url.searchParams.get('token');
      if (req.method === 'GET' && given !== null) {
        if (!sameSecret(given, options.token)) return refuse(401, 'wrong token');
        // Kept in a cookie only this site sends, and taken out of the address bar.
        url.searchParams.delete('token');
        return refuse(303, 'signed in', {
          location: `${url.pathname}${url.search}`,
          'set-cookie': `${COOKIE}=${encodeURIComponent(options.token)}; HttpOnly; SameSite=Strict; Path=/`,
        });
      }
      const bearer = req.headers.authorization?.replace(/^Bearer /, '');
      const presented = bearer ?? cookieToken(req.headers.cookie) ?? '';
      if (!sameSecret(presented, options.token))
        return refuse(401, 'a token is required: open the console once with ?token=<CONSOLE_TOKEN>', {
          'www-authenticate': 'Bearer',
        });
    }

    void (async () => {
      const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      if (req.method === 'GET' && parts.length === 0) {
        const parsed = filterSchema.safeParse(Object.fromEntries(url.searchParams));
        if (!parsed.success)
          return refuse(
            400,
            `error: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
          );
        const filter = Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v)) as FleetFilter;
        return send(200, fleetPage(ctx, await readFleet(client, options.taskQueue, filter), filter));
      }
      if (req.method === 'GET' && parts[0] === 'pipelines' && parts.length === 2) {
        try {
          return send(200, pipelinePage(ctx, await readPipeline(client, parts[1], figures)));
        } catch (e) {
          if (e instanceof WorkflowNotFoundError)
            return send(404, notFoundPage(ctx, `no pipeline ${parts[1]} in namespace ${options.namespace}`));
          throw e;
        }
      }
      if (req.method === 'GET' && parts[0] === 'pipelines' && parts[2] === 'events' && parts.length === 3)
        return stream(parts[1], ctx);
      if (req.method === 'POST') {
        // An action: the console's own page, and nobody else's, sends it.
        const origin = req.headers.origin;
        const own = `http://${req.headers.host}`;
        if (
          origin !== undefined
            ? origin !== own
            : req.headers['sec-fetch-site'] !== undefined && req.headers['sec-fetch-site'] !== 'same-origin'
        )
          return refuse(403, 'origin not allowed: actions come from the console’s own pages');
        const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
        if (type !== 'application/x-www-form-urlencoded')
          return refuse(415, 'content-type must be application/x-www-form-urlencoded');
        const form = await readForm(req);
        if (!form) return refuse(413, `form larger than ${MAX_FORM_BYTES} bytes`);
        if (!sameSecret(form.get('csrf') ?? '', csrf))
          return refuse(403, 'the form is not from this console (reload the page)');
        let outcome: ActionOutcome;
        if (
          parts[0] === 'pipelines' &&
          parts.length === 3 &&
          (PIPELINE_ACTIONS as readonly string[]).includes(parts[2])
        ) {
          outcome = await pipelineAction(client, parts[1], parts[2] as PipelineAction, form);
          const view = await readPipeline(client, parts[1], figures).catch(() => undefined);
          const status = outcome.kind === 'ok' ? 200 : outcome.kind === 'refused' ? 409 : 400;
          if (view) return send(status, pipelinePage(ctx, view, outcome));
          return send(status, fleetPage(ctx, await readFleet(client, options.taskQueue, {}), {}, outcome));
        }
        if (parts[0] === 'slots' && parts.length === 3 && parts[2] === 'rollback') {
          outcome = await slotRollback(client, options.taskQueue, parts[1], form);
          const status = outcome.kind === 'ok' ? 200 : outcome.kind === 'refused' ? 409 : 400;
          return send(status, fleetPage(ctx, await readFleet(client, options.taskQueue, {}), {}, outcome));
        }
      }
      return send(404, notFoundPage(ctx, `nothing at ${req.method} ${url.pathname}`));
    })().catch((e: unknown) => {
      if (!res.headersSent) refuse(502, `error: ${(e as Error).message}`);
      else res.end();
    });

    /** Server-sent events: the curve, the figures and the phase again whenever they change. */
    function stream(workflowId: string, pageCtx: PageContext) {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      });
      streams.add(res);
      let last = '';
      let phase: string | undefined;
      let view: Awaited<ReturnType<typeof readPipeline>> | undefined;
      let timer: NodeJS.Timeout | undefined;
      const stop = () => {
        clearTimeout(timer);
        streams.delete(res);
      };
      req.on('close', stop);
      const tick = async () => {
        try {
          // The history is read again only when the phase changes: between, status, describe and look.
          const now = await readStatus(client, workflowId);
          if (!view || now.status?.phase !== view.status?.phase || now.runStatus !== view.runStatus)
            view = await readPipeline(client, workflowId, figures);
          else {
            figures.add(now.runId, now.status?.training);
            view = {
              ...view,
              ...now,
              training: figures.of(now.runId),
              cost: now.status?.training?.cost ?? view.cost,
            };
          }
          const data = JSON.stringify({
            curve: curveHtml(view),
            facts: factsHtml(pageCtx, view),
            graph: phaseGraph(view.status?.phase),
            phase: view.status?.phase,
          });
          if (data !== last) res.write(`event: update\ndata: ${data}\n\n`);
          last = data;
          phase = view.status?.phase;
          if (view.runStatus !== 'RUNNING') {
            res.end(`event: end\ndata: ${JSON.stringify({ phase })}\n\n`);
            return stop();
          }
        } catch {
          res.write(': the pipeline could not be read; trying again\n\n');
        }
        if (streams.has(res)) timer = setTimeout(() => void tick(), options.refreshMs);
      };
      void tick();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as { port: number };
  const shown = LOOPBACK_BINDS.has(options.host) ? '127.0.0.1' : options.host;
  return {
    server,
    url: `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of streams) s.end();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The console on a client of its own, both from the environment (`npm start` runs it beside the Web UI). */
export async function startConsoleFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<RunningConsole> {
  const options = consoleOptionsFromEnv(env);
  const { client, connection } = await connectClient(parseEnv(temporalEnvSchema, env));
  try {
    const running = await startConsole(client, options);
    return {
      ...running,
      close: async () => {
        await running.close();
        await connection.close();
      },
    };
  } catch (e) {
    await connection.close();
    throw e;
  }
}
