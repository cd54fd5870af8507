import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'coverage/**',
      'reports/**',
      '.stryker-tmp/**',
      'jest.config.js',
      'jest.mutation.config.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node APIs, no I/O, activities by type only.
    files: [
      'src/workflows/**/*.ts',
      // Loaded into the workflow sandbox too: the provider-queue interceptor and what it reads.
      'src/provider-rate/queue-interceptors.ts',
      'src/provider-rate/activity-queues.ts',
      'src/provider-rate/providers.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'http', 'https', 'net', 'child_process', 'crypto', 'axios'],
              message: 'Workflow code does no I/O.',
            },
            {
              group: [
                '../activities/*',
                '../activities',
                '../providers/*',
                '../../activities/*',
                '../../activities',
                '../../providers/*',
              ],
              allowTypeImports: true,
              message: 'Import activities with `import type` only.',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'process'],
    },
  },
);
