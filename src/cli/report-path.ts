import path from 'node:path';

/** Where `report` writes without `--out`: a git-ignored folder, not the current one (FTP_REPORT_DIR). */
export function defaultReportPath(workflowId: string, env: NodeJS.ProcessEnv = process.env): string {
  const safe = workflowId.replace(/[^A-Za-z0-9._-]/g, '_');
  return path.join(env.FTP_REPORT_DIR || path.join('.data', 'reports'), `${safe}.html`);
}
