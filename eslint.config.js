import { builtinModules } from 'node:module';

import { defineConfig, globalIgnores } from 'eslint/config';
import importPlugin from 'eslint-plugin-import';
import tseslint from 'typescript-eslint';

// Lint rules for the whole backend, plus the determinism boundary for workflow code. Temporal runs
// workflows in a V8 sandbox and replays them from history, so workflow files may import only
// @temporalio/workflow, pure helpers and types; everything with I/O belongs in activities/.

// Every Node built-in, by bare name ("fs", "fs/promises") and with the node: prefix (which also
// covers prefix-only modules such as node:test and node:sqlite).
const nodeBuiltinImports = {
  paths: builtinModules.map((name) => ({
    name,
    message: 'Workflow code cannot use Node built-ins; do the work in an activity.',
  })),
  patterns: [{ group: ['node:*'], message: 'Workflow code cannot use Node built-ins; do the work in an activity.' }],
};

const ioClientPackages = [
  '@anthropic-ai/sdk',
  'assemblyai',
  '@google/genai',
  'pg',
  '@electric-sql/pglite',
  'pglite-prisma-adapter',
  'express',
  'jose',
  'pino',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
  '@temporalio/testing',
];

const workflowImportBan = {
  paths: [
    ...nodeBuiltinImports.paths,
    ...ioClientPackages.map((name) => ({
      name,
      message: 'Workflow code cannot call SDK or I/O clients; call them from an activity.',
    })),
  ],
  patterns: [
    ...nodeBuiltinImports.patterns,
    {
      group: [
        ...ioClientPackages.map((name) => `${name}/*`),
        '@prisma/*',
        '**/generated/prisma',
        '**/generated/prisma/**',
      ],
      message: 'Workflow code cannot call SDK, database or I/O clients; call them from an activity.',
    },
    {
      // Types describe the activity interface that proxyActivities needs; values would pull I/O code into the bundle.
      group: ['**/activities', '**/activities/**'],
      allowTypeImports: true,
      message: 'Workflow code may import only types from activities/; call activities through proxyActivities.',
    },
  ],
};

// The workflow sandbox (SDK 1.24) replaces Date, Math.random and setTimeout/clearTimeout with
// deterministic versions (setTimeout becomes a durable timer, as `sleep` does), so they stay allowed.
// The globals below do not exist in the sandbox or are not replayable; lint catches them before a
// worker fails at run time.
const workflowGlobalBan = [
  'process',
  'Buffer',
  'require',
  'global',
  '__dirname',
  '__filename',
  'setInterval',
  'clearInterval',
  'setImmediate',
  'clearImmediate',
  'WeakRef',
  'FinalizationRegistry',
].map((name) => ({
  name,
  message: `${name} is not available or not deterministic in workflow code; use @temporalio/workflow (sleep, condition) or an activity.`,
}));

export default defineConfig([
  // workflows-changed-* are scratch copies of workflow code that the replay test makes and deletes.
  globalIgnores(['lib/generated/', 'node_modules/', '.data/', 'ui/dist/', 'coverage/', 'workflows-changed-*/']),
  {
    files: ['**/*.ts', '**/*.tsx'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        // prisma.config.ts sits outside tsconfig's include list; the project service lints it as a loose file.
        projectService: { allowDefaultProject: ['prisma.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { import: importPlugin },
    settings: {
      'import/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
      // tsconfig uses extensionless relative imports (moduleResolution Bundler), which the node
      // resolver finds once its extension list includes .ts.
      'import/resolver': { node: { extensions: ['.ts', '.tsx', '.js', '.json'] } },
      // Cycles are checked in our own code only (ignoreExternal). Without this, import/no-cycle still parses
      // installed packages, and PGlite's bundled chunk overflows the parser's stack on every run.
      'import/ignore': ['node_modules'],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'import/no-cycle': ['error', { ignoreExternal: true }],
      // Express recognises error middleware by its four parameters, so `_next` has to stay even when unused.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // Test fakes implement the activities' Promise-returning interfaces without awaiting anything.
    files: ['tests/**/*.ts'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', workflowImportBan],
      'no-restricted-globals': ['error', ...workflowGlobalBan],
    },
  },
]);
