// Lint: typescript-eslint recommended (type-aware) over src, workers, test and bench, plus the rooms rule
// and the function-length limit over the service's code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import rooms from './tools/eslint-rooms.js';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'coverage/**', '.tmp/**', '.tmp-*', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // Rooms: what each folder of src/ may import; the range engine only through its index; src/ never
    // imports workers/ (tools/eslint-rooms.js, docs/ARCHITECTURE.md). Functions fit one screen.
    files: ['src/**/*.ts', 'workers/**/*.ts', 'bench/**/*.ts'],
    plugins: { rooms },
    rules: {
      'rooms/allowed-imports': 'error',
      'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    // Tests poke at frozen objects and loose JSON on purpose.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly' } },
  },
);
