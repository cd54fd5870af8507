import { earlyStopRule, type EarlyStopRule } from '../decisions/early-stop';
import type * as EarlyStopInput from '../domain/early-stop';
import { pipelineInput } from './flags';

/** `train.earlyStop`'s schema, loaded when an early-stop flag is given (zod is slow to load). */
function earlyStopSchema(): typeof EarlyStopInput.earlyStopSchema {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use (see above)
  return (require('../domain/early-stop') as typeof EarlyStopInput).earlyStopSchema;
}

/** `starter supervise`'s early-stop flags, as commander hands them (text). */
export interface EarlyStopFlags {
  earlyStopPatience?: string;
  earlyStopMinDelta?: string;
  earlyStopMetric?: string;
  earlyStopMinEpochs?: string;
  maximize?: boolean;
}

const FLAG_OF: Record<string, string> = {
  patience: '--early-stop-patience',
  minDelta: '--early-stop-min-delta',
  metric: '--early-stop-metric',
  minEpochs: '--early-stop-min-epochs',
};

/** A plain decimal number: `Number()` alone takes "", " ", "0x10" and "Infinity". */
const DECIMAL = /^-?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;

/**
 * The early-stop rule the flags ask for (checked as `train.earlyStop` in a pipeline file is), or
 * undefined without `--early-stop-patience`. Only a supervision that owns its job (`--may-stop`) may
 * stop it: without it, the flags are refused naming `--may-stop`, before anything starts.
 */
export function earlyStopFromFlags(
  flags: EarlyStopFlags,
  mayStop: boolean,
  provider: 'tensorone' | 'marqtune' = 'tensorone',
): EarlyStopRule | undefined {
  const others = [flags.earlyStopMinDelta, flags.earlyStopMetric, flags.earlyStopMinEpochs];
  if (flags.earlyStopPatience === undefined && others.every((f) => f === undefined)) return undefined;
  const issues: { field: string; message: string }[] = [];
  const number = (text: string | undefined, field: string) => {
    if (text === undefined) return undefined;
    if (DECIMAL.test(text.trim())) return Number(text);
    issues.push({ field: FLAG_OF[field], message: `must be a number, got "${text}"` });
    return 0;
  };
  if (!mayStop)
    issues.push({
      field: '--may-stop',
      message: 'is needed to stop early: a supervision that does not own its job never stops it',
    });
  if (provider === 'marqtune')
    issues.push({
      field: '--provider',
      message:
        'marqtune cannot stop a model and reports no checkpoint metric: early stopping needs a TensorOne job',
    });
  const asked = {
    patience: number(flags.earlyStopPatience, 'patience'),
    minDelta: number(flags.earlyStopMinDelta, 'minDelta') ?? 0,
    ...(flags.earlyStopMetric !== undefined ? { metric: flags.earlyStopMetric } : {}),
    ...(flags.earlyStopMinEpochs !== undefined
      ? { minEpochs: number(flags.earlyStopMinEpochs, 'minEpochs') }
      : {}),
  };
  const parsed = earlyStopSchema().safeParse(asked);
  if (!parsed.success)
    for (const issue of parsed.error.issues) {
      const field = FLAG_OF[String(issue.path[0])] ?? '--early-stop-patience';
      if (!issues.some((i) => i.field === field))
        issues.push({
          field,
          message: asked.patience === undefined ? 'is required to stop early' : issue.message,
        });
    }
  if (issues.length || !parsed.data)
    throw new (pipelineInput().InvalidPipelineInput)(issues, 'starter supervise');
  return earlyStopRule(parsed.data, {
    metric: 'validationLoss',
    direction: flags.maximize ? 'maximize' : 'minimize',
  });
}
