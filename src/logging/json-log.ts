import type { LogEntry, LogMetadata } from '@temporalio/worker';
import { redact, redactText } from '../providers/http/redact';

/**
 * One log entry of the SDK's logger as one JSON line: level, time, message and the SDK's metadata
 * (workflow id, run id, activity), secrets scrubbed. The worker writes these to stderr, the main job
 * to its worker log file.
 */
export function jsonLogLine(entry: LogEntry): string {
  return JSON.stringify({
    level: entry.level,
    time: new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString(),
    message: redactText(entry.message),
    ...redact((entry.meta ?? {}) as LogMetadata),
  });
}
