// A pipeline's hyperparameter sweep: the trial workflow (`trial.ts`), and the pipeline's side of it
// (`coordinate.ts`: start, judge and stop trials; `reports.ts`: what each trial report changes).
export { sweepTrial } from './trial';
