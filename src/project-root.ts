/**
 * The project's root directory (where package.json, config/ and node_modules are). The only module
 * that reads `import.meta.url`: when the CLI runs from its esbuild bundle (bin/cli-bundle.js), the
 * bundle defines `import.meta.url` as this file's URL, so the answer is the same either way.
 */
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));
