/**
 * A redis-server of the test's own, on a free port with its own data directory, that the test may
 * stop and start again (the chaos "Redis restarted mid-run" scenario). The shared Redis on 6379 is
 * never touched.
 *
 * Persistence: `--save ""` (no RDB snapshots) and `--appendonly yes` (AOF), as a production Redis for
 * this service should run: queued BullMQ jobs, locks and snapshots survive a restart. `appendfsync`
 * stays at Redis' default (`everysec`); `restart()` stops Redis with SHUTDOWN (the AOF is flushed), so
 * nothing acknowledged is lost. A Redis without persistence loses every queued job on restart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export interface OwnRedisServer {
  url: string;
  port: number;
  dir: string;
  /** SHUTDOWN (AOF flushed), wait `downMs`, start again on the same port and data directory. */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitReady(url: string, deadlineMs = 10_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 500 });
    c.on('error', () => undefined); // refused while Redis starts: expected, retried below
    try {
      await c.connect();
      // Redis answers LOADING while it replays the AOF.
      if ((await c.ping()) === 'PONG') return;
    } catch {
      if (Date.now() > end) throw new Error(`redis-server at ${url} did not become ready within ${deadlineMs} ms`);
    } finally {
      c.disconnect();
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startOwnRedisServer(): Promise<OwnRedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tqe-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let output = '';
  const launch = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--daemonize', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (output = (output + d).slice(-4000)));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (output = (output + d).slice(-4000)));
    try {
      await waitReady(url);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${output}`, { cause: e });
    }
  };
  const halt = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGTERM'); // redis-server treats SIGTERM as SHUTDOWN: the AOF is fsynced first
    await exited;
  };
  await launch();
  return {
    url,
    port,
    dir,
    async restart(downMs = 500) {
      await halt();
      await new Promise((r) => setTimeout(r, downMs));
      await launch();
    },
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
