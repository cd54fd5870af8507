import { ApplicationFailure } from '@temporalio/common';
import { TemporalUnreachable } from '../../src/config/temporal-connection';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { classifyFailure, reportFailure } from '../../src/cli/failure-report';
import { NotFound } from '../../src/cli/exit-codes';
import { PipelineFailed } from '../../src/cli/follow';
import { OperatorRefusal } from '../../src/cli/operator';
import { NoWorkerPolling } from '../../src/cli/workers';
import { InvalidPipelineInput } from '../../src/domain/pipeline-input';

/** Each failure's class decides its exit code and whether its details go to the log file. */
describe('classifyFailure', () => {
  it('outcomes the CLI expects: their own exit code, nothing logged', () => {
    expect(classifyFailure(new PipelineFailed('APPROVAL_REJECTED: rejected: eval below the bar'))).toEqual({
      kind: 'failed',
      exitCode: 1,
      label: 'error',
      message: 'APPROVAL_REJECTED: rejected: eval below the bar',
    });
    expect(classifyFailure(new OperatorRefusal('not awaiting approval'))).toMatchObject({
      kind: 'refused',
      exitCode: 2,
      label: 'refused',
    });
    expect(classifyFailure(new NotFound('no workflow x'))).toMatchObject({ kind: 'not-found', exitCode: 3 });
    expect(
      classifyFailure(new InvalidPipelineInput([{ field: 'epochs', message: 'must be a number' }], 'a.yaml')),
    ).toMatchObject({
      exitCode: 2,
    });
    for (const e of [new TemporalUnreachable('could not reach'), new NoWorkerPolling('no worker')])
      expect(classifyFailure(e)).toMatchObject({ kind: 'failed', exitCode: 1 });
    for (const e of [
      new PipelineFailed('x'),
      new OperatorRefusal('x'),
      new NotFound('x'),
      new TemporalUnreachable('x'),
      new NoWorkerPolling('x'),
    ])
      expect(classifyFailure(e).unexpected).toBeUndefined();
  });
  it('anything else is a failure with its innermost cause, marked unexpected (its stack is logged)', () => {
    const e = new Error('wrapper', { cause: ApplicationFailure.create({ type: 'BOOM', message: 'inner' }) });
    expect(classifyFailure(e)).toMatchObject({
      kind: 'failed',
      exitCode: 1,
      unexpected: true,
      message: 'BOOM: inner',
    });
    expect(classifyFailure(new TypeError('x is undefined'))).toMatchObject({ unexpected: true, exitCode: 1 });
  });
});

describe('reportFailure', () => {
  it('the command line it logs is redacted as the message and stack are (a token typed into --reason)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftp-failure-report-'));
    const before = process.env.FTP_LOG_DIR;
    process.env.FTP_LOG_DIR = dir;
    try {
      const code = reportFailure(
        new TypeError('x is undefined'),
        ['node', 'starter', 'cancel', 'pipeline-a', '--reason', 'Bearer sk-live-0123456789abcdef'],
        () => undefined,
      );
      expect(code).toBe(1);
      const logged = fs.readFileSync(path.join(dir, 'starter.log'), 'utf8');
      expect(logged).toContain('"command":"cancel pipeline-a --reason Bearer [redacted]"');
      expect(logged).not.toContain('sk-live');
    } finally {
      if (before === undefined) delete process.env.FTP_LOG_DIR;
      else process.env.FTP_LOG_DIR = before;
    }
  });
});
