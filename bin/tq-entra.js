#!/usr/bin/env node
// Entry point of the `tq-entra` CLI: it loads workers/main.ts, the composition root (it hands the
// worker implementation to the CLI in src/cli/main.ts, so src/ never imports workers/). The service
// is written in TypeScript. Normally it runs from an esbuild bundle cached in .cache/cli/
// (bin/cli-bundle.js; rebuilt whenever a source file changes); when that is not possible (read-only
// install, TQ_ENTRA_NO_BUNDLE=1) it runs the sources through tsx's loader. Either way `npx tq-entra` works on a fresh `npm ci` with no build step.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
let entry;
if (process.env.TQ_ENTRA_NO_BUNDLE !== '1') {
  try {
    entry = await (await import('./cli-bundle.js')).bundledEntry(root);
  } catch {
    entry = undefined;
  }
}
if (entry === undefined) {
  const { register } = await import('tsx/esm/api');
  register();
  entry = new URL('../workers/main.ts', import.meta.url).href;
}
const { main } = await import(entry);
process.exitCode = await main(process.argv);
// Every command has closed what it opened by now; should a stray handle (a keep-alive socket, a timer
// in a library) still hold the event loop, leave within two seconds rather than hang a `docker stop`,
// but never while output is still on its way to a slow reader (it would be cut short).
const leave = () => {
  if (process.stdout.writableLength + process.stderr.writableLength === 0) process.exit();
  else setTimeout(leave, 100).unref();
};
setTimeout(leave, 2000).unref();
