// Mutation testing of the rules (`npm run test:mutation`): the pure decisions, the one failure
// classifier, redaction, units and the pipeline input schema. One folder only:
//   npm run test:mutation -- --mutate 'src/decisions/**/*.ts'
// Incremental: a rerun re-tests only mutants whose code or covering tests changed
// (reports/mutation/incremental.json; delete it, or pass --force, for a full run).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  jest: { configFile: 'jest.mutation.config.js', enableFindRelatedTests: true },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: [
    'src/decisions/**/*.ts',
    'src/activities/failures.ts',
    'src/providers/http/redact.ts',
    'src/providers/http/units.ts',
    'src/domain/pipeline-input.ts',
  ],
  coverageAnalysis: 'perTest',
  ignoreStatic: true,
  incremental: true,
  incrementalFile: 'reports/mutation/incremental.json',
  concurrency: 2,
  timeoutMS: 20000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/report.json' },
  thresholds: { high: 90, low: 80, break: null },
  tempDirName: '.stryker-tmp',
  // Run data (a running cluster's PostgreSQL files, reports, builds) is not copied into the sandbox.
  ignorePatterns: ['.data', 'dist', 'coverage'],
  cleanTempDir: 'always',
};
