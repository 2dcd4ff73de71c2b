// Lint: typescript-eslint's recommended type-aware rules, plus the layering rule of STYLE.md:
// shared/core is pure and imports no adapter and no I/O library.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'build/', '.local/', 'template/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
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
);
