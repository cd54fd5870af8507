/**
 * The tests that judge the pure and boundary code under mutation (`npm run test:mutation`): no Temporal
 * server, so StrykerJS can run them hundreds of times. Same transform as jest.config.js.
 */
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: base.testEnvironment,
  roots: base.roots,
  transform: base.transform,
  setupFiles: base.setupFiles,
  testMatch: [
    '<rootDir>/test/decisions/**/*.test.ts',
    '<rootDir>/test/providers/units-and-redaction.test.ts',
    '<rootDir>/test/activities/failures.test.ts',
  ],
  testTimeout: 30_000,
};
