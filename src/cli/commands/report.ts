import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { pipelineIdArgument } from '../flags';
import { out } from '../io';
import { defaultReportPath } from '../report-path';
import { withPipeline } from '../with-client';

/** `starter report <workflowId>`: one self-contained HTML/SVG file of the pipeline's checkpoints. */
export function addReportCommand(program: Command): void {
  program
    .command('report')
    .description(
      'write one self-contained HTML/SVG file: the metric over checkpoints, chosen, threshold, deleted',
    )
    .addArgument(pipelineIdArgument())
    .option('-o, --out <file>', `where to write it (default ${defaultReportPath('<workflowId>')})`, '')
    .option('--json', 'print the report data instead')
    .action(async (given: string, opts: { out: string; json?: boolean }) =>
      withPipeline(given, async ({ id, client }) => {
        const { loadReportData, renderReport } = await import('../report');
        const data = await loadReportData(client, id);
        if (opts.json) return out(data);
        const file = opts.out || defaultReportPath(id);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, renderReport(data));
        out(
          `wrote ${file} (${data.totalCheckpoints ?? data.checkpoints.length} checkpoints, chosen ${data.chosenId ?? 'none'})`,
        );
      }),
    );
}
