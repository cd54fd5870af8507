import type { Command } from 'commander';
import { err } from '../io';
import { withClient } from '../with-client';
import { wholeNumberFlag } from '../flags';

/** `starter console`: the pipeline console in the browser, until Ctrl-C. */
export function addConsoleCommand(program: Command): void {
  program
    .command('console')
    .description(
      'serve the pipeline console (fleet, live pipelines, approvals) on 127.0.0.1 until Ctrl-C; CONSOLE_HOST, CONSOLE_TOKEN, CONSOLE_ALLOWED_HOSTS, TEMPORAL_UI_URL',
    )
    .option(
      '--port <port>',
      'the port (CONSOLE_PORT, default 8234; 0 picks a free one)',
      wholeNumberFlag(0, 65535),
    )
    .action(async (opts: { port?: number }) =>
      withClient(async ({ client }) => {
        const { consoleOptionsFromEnv, startConsole } = await import('../../console/server');
        const options = consoleOptionsFromEnv();
        if (opts.port !== undefined) options.port = opts.port;
        const running = await startConsole(client, options);
        err(`pipeline console on ${running.url}${options.token ? ' (token required)' : ''}; Ctrl-C stops it`);
        await new Promise<void>((resolve) => process.once('SIGINT', resolve));
        await running.close();
      }),
    );
}
