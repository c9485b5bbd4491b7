// Lint: typescript-eslint recommended (type-aware) over src, workers, test and bench, plus the rooms rule
// and the function-length limit over the service's code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { dirname, relative, resolve, sep } from 'node:path';

// The rule `rooms/allowed-imports`: the rooms of src/ and what each may import (docs/ARCHITECTURE.md,
// "Rooms"). Resolves every relative import of src/ and workers/ to the room it lands in and refuses:
// - an import of another room that the importing room's entry in ROOMS does not list;
// - any import of workers/ from src/ (workers/ is the top: thin processors and the process entry);
// - an import of src/ranges/* other than src/ranges/index.ts from outside the range engine.
// Files directly in src/ (project-root.ts) are shared by all. workers/ and bench/ may import any room.

const ROOMS = {
  errors: [],
  ranges: ['errors'],
  http: ['errors'],
  observability: ['errors', 'http'],
  redis: ['errors', 'observability'],
  config: ['errors', 'ranges', 'observability'],
  state: ['errors', 'config', 'ranges', 'redis', 'observability'],
  threatq: ['errors', 'config', 'http', 'observability', 'ranges'],
  graph: ['errors', 'config', 'http', 'observability', 'redis', 'ranges'],
  sources: ['errors', 'config', 'threatq', 'ranges', 'observability'],
  reconcile: ['errors', 'config', 'ranges', 'graph', 'state', 'observability', 'redis'],
  pipeline: ['errors', 'config', 'ranges', 'graph', 'state', 'observability', 'redis', 'sources', 'threatq', 'reconcile', 'http'],
  notify: ['errors', 'config', 'observability', 'redis', 'pipeline'],
  dashboard: ['errors', 'config', 'http', 'observability', 'redis', 'state', 'pipeline', 'notify'],
  emulators: ['errors', 'http', 'observability', 'ranges'],
  demo: ['errors', 'config', 'http', 'observability', 'redis', 'state', 'pipeline', 'emulators', 'dashboard', 'reconcile', 'graph', 'ranges', 'sources', 'threatq', 'notify'],
  cli: ['errors', 'config', 'http', 'observability', 'redis', 'state', 'pipeline', 'emulators', 'dashboard', 'reconcile', 'graph', 'ranges', 'sources', 'threatq', 'demo', 'notify'],
};

const root = import.meta.dirname;

/** 'src:<room>', 'src:' for a file directly in src/, 'workers', 'bench', or undefined. */
function placeOf(absPath) {
  const parts = relative(root, absPath).split(sep);
  if (parts[0] === 'src') return parts.length > 2 ? `src:${parts[1]}` : 'src:';
  if (parts[0] === 'workers' || parts[0] === 'bench') return parts[0];
  return undefined;
}

function problemOf(file, target) {
  const from = placeOf(file);
  const to = placeOf(target);
  if (from === undefined || to === undefined || from === to) return undefined;
  if (to === 'workers' && from.startsWith('src:')) return 'src/ never imports workers/ (workers/main.ts hands the CLI what it needs)';
  const rangesInternal = to === 'src:ranges' && relative(root, target) !== `src${sep}ranges${sep}index.ts`;
  if (rangesInternal) return 'import the range engine through src/ranges/index.ts';
  if (!from.startsWith('src:') || from === 'src:' || to === 'src:' || !to.startsWith('src:')) return undefined;
  const [room, other] = [from.slice(4), to.slice(4)];
  const allowed = ROOMS[room];
  if (allowed === undefined) return `src/${room}/ is not a known room: add it to ROOMS in eslint.config.js`;
  return allowed.includes(other) ? undefined : `src/${room}/ may not import src/${other}/ (allowed: ${allowed.join(', ') || 'none'})`;
}

const allowedImports = {
  meta: { type: 'problem', schema: [], docs: { description: 'rooms of src/ import only the rooms below them' } },
  create(context) {
    const check = (node) => {
      const spec = node.source?.value;
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      const problem = problemOf(context.filename, resolve(dirname(context.filename), spec));
      if (problem) context.report({ node: node.source, message: `${spec}: ${problem}` });
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
  },
};

const rooms = { rules: { 'allowed-imports': allowedImports } };


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
    // imports workers/ (ROOMS above, docs/ARCHITECTURE.md). Functions fit one screen.
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
