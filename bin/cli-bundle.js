// Fast start for `tq-entra`: the CLI's TypeScript bundled once by esbuild into .cache/cli/<hash>/,
// where <hash> covers every source file's path, size and modification time (and package.json), so
// any change to the code makes a new bundle on the next start. Node then loads plain JavaScript with
// no loader hooks: start-up drops from about 250 ms to well under 100 ms, which matters for piping
// commands (`ranges merge`) and for the many short CLI runs of the tests.
//
// The entry is workers/main.ts (the composition root: it hands the workers to src/cli/main.ts).
// Dependencies stay external (resolved from node_modules as usual). `import.meta.url` is defined as
// src/project-root.ts's URL, the only module that reads it. Bundles are built into a temporary
// directory and renamed into place, so concurrent starts never see a half-written bundle. When the
// cache cannot be written (a read-only install) the caller falls back to running the sources
// through tsx. Set TQ_ENTRA_NO_BUNDLE=1 to always use tsx.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

const SOURCE_DIRS = ['src', 'workers'];
const KEEP_BUNDLES = 3;

function sourceFingerprint(root) {
  const hash = createHash('sha1');
  const pkg = statSync(join(root, 'package.json'));
  hash.update(`package.json:${pkg.size}:${pkg.mtimeMs}\n`);
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        const s = statSync(path);
        hash.update(`${relative(root, path)}:${s.size}:${s.mtimeMs}\n`);
      }
    }
  };
  for (const d of SOURCE_DIRS) walk(join(root, d));
  return hash.digest('hex').slice(0, 16);
}

async function build(root, outdir) {
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: { main: join(root, 'workers', 'main.ts') },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    define: { 'import.meta.url': JSON.stringify(pathToFileURL(join(root, 'src', 'project-root.ts')).href) },
    logLevel: 'silent',
    legalComments: 'none',
  });
}

function prune(cacheDir, keep) {
  const dirs = readdirSync(cacheDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && /^[0-9a-f]{16}$/.test(e.name))
    .map((e) => ({ path: join(cacheDir, e.name), mtime: statSync(join(cacheDir, e.name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const d of dirs.slice(keep)) rmSync(d.path, { recursive: true, force: true });
}

/** The URL of the bundled CLI entry for the current sources, building it when needed. */
export async function bundledEntry(root) {
  const cacheDir = join(root, '.cache', 'cli');
  const dir = join(cacheDir, sourceFingerprint(root));
  const entry = join(dir, 'main.js');
  if (!existsSync(entry)) {
    mkdirSync(cacheDir, { recursive: true });
    const tmp = `${dir}.tmp-${process.pid}`;
    await build(root, tmp);
    try {
      renameSync(tmp, dir);
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // another process got there first
    }
    try {
      prune(cacheDir, KEEP_BUNDLES);
    } catch {
      // pruning is best effort
    }
  }
  return pathToFileURL(entry).href;
}
