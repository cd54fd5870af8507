import { spawn } from 'node:child_process';
import { EngineProvisionError } from './errors';

export interface BuildStep {
  label: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs: number;
  log: (line: string) => void;
}

/**
 * Runs one build command, printing a progress line every 15 s (a Go build is silent for minutes) and
 * turning a failure into one line that quotes the tool's own last error line.
 */
export function runBuildStep(step: BuildStep): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(step.command, step.args, {
      cwd: step.cwd,
      env: step.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tail: string[] = [];
    let units = 0;
    const collect = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line.trim()) continue;
        units += 1;
        tail.push(line.trim());
        if (tail.length > 20) tail.shift();
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const ticker = setInterval(() => {
      const secs = Math.round((Date.now() - started) / 1000);
      step.log(`  ${step.label}: ${secs}s, ${units} packages/modules so far…`);
    }, 15_000);
    const killer = setTimeout(() => child.kill('SIGKILL'), step.timeoutMs);
    child.on('error', (err) => {
      clearInterval(ticker);
      clearTimeout(killer);
      reject(new EngineProvisionError(`${step.label} could not start '${step.command}': ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearInterval(ticker);
      clearTimeout(killer);
      if (code === 0) return resolve();
      const cause = lastErrorLine(tail) ?? `exit ${code ?? signal}`;
      reject(new EngineProvisionError(`${step.label} failed: ${cause}`));
    });
  });
}

function lastErrorLine(lines: string[]): string | undefined {
  const errorish = [...lines]
    .reverse()
    .find((l) => /error|refused|not found|denied|cannot|failed|timeout/i.test(l));
  return errorish ?? lines[lines.length - 1];
}
