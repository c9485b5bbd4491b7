/**
 * A real headless browser for tests: Debian's `chromium` (installed by .ci/run when missing). A test
 * that needs it fails loudly when it is absent, never skips. Each call is one browser process with a
 * fresh profile (`--user-data-dir`); basic auth travels in the URL (`http://user:pass@host/…`), which
 * Chromium honours for a top-level navigation.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = process.env['CHROMIUM_BIN'] ?? 'chromium';

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-breakpad'];

async function run(args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  const profile = mkdtempSync(join(tmpdir(), 'tqe-chromium-'));
  try {
    return await new Promise((resolve, reject) => {
      execFile(CHROMIUM, [...FLAGS, `--user-data-dir=${profile}`, ...args], { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err) {
          const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
          reject(new Error(missing ? `chromium not found at ${CHROMIUM}: install Debian's chromium package (apt-get install -y chromium; .ci/run does)` : `chromium failed: ${err.message}\n${stderr.slice(-2000)}`));
        } else resolve({ stdout, stderr });
      });
    });
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/**
 * Load `url` and return the DOM after load, serialised (`--dump-dom`); with `screenshot`, the same
 * browser run also writes a PNG of the window (`--screenshot`, `--window-size`): one browser start
 * (several seconds on a busy machine) for both.
 */
export async function loadPage(url: string, options: { screenshot?: { path: string; width: number; height: number }; timeoutMs?: number } = {}): Promise<string> {
  const shot = options.screenshot;
  const args = shot ? ['--dump-dom', `--screenshot=${shot.path}`, `--window-size=${shot.width},${shot.height}`, url] : ['--dump-dom', url];
  return (await run(args, options.timeoutMs ?? 90_000)).stdout;
}
