// Lint: typescript-eslint's recommended type-aware rules, plus the layering rule of STYLE.md:
// shared/core is pure and imports no adapter and no I/O library.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// `import { z } from 'zod'` takes zod as one object, so every bundle would carry all of it (~460 kB to compile at
// each cold start); through the namespace, esbuild keeps only what `z.` reaches.
const zodNamespace = {
  selector: "ImportDeclaration[source.value='zod'] > ImportSpecifier[imported.name='z']",
  message: "import * as z from 'zod' (a named z bundles all of zod).",
};

export default tseslint.config(
  { ignores: ['node_modules/', 'build/', '.local/', 'template/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': ['error', zodNamespace],
    },
  },
  {
    files: ['shared/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/adapters/**', '**/runs/**', '**/layers/**'], message: 'shared/core is pure: no adapters.' },
            { group: ['pg', 'pg-*', 'mongodb', 'node-vault', 'axios', 'pino', 'node:fs*', 'node:net', 'node:http*'], message: 'shared/core does no I/O.' },
          ],
        },
      ],
    },
  },
  {
    // Layers, the CLI and handlers reach PostgreSQL through shared/adapters/postgres (Db, Pool, Transaction) and
    // the audit schema through shared/runs, never through the driver.
    files: ['shared/layers/**/*.ts', 'shared/cli/**/*.ts', 'functions/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'pg', message: 'use the Db/Pool/Transaction types of shared/adapters/postgres.' }] }],
    },
  },
);
