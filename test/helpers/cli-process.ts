/**
 * A long-running `tq-entra` subcommand (worker, scheduler --watch, dashboard) as a separate OS process,
 * for tests run the way operators deploy: its output is collected, a test can await a line, and
 * `stop(signal)` reports the exit code and how long the process took to exit after the signal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN } from './run-cli.ts';

export interface CliProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number | undefined;
  output(): string;
  /** Resolves when the output contains `text` (or matches it); rejects if the process exits first or after `timeoutMs`. */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Send `signal` and wait for the exit: the code (null when killed by a signal) and ms from signal to exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startCliProcess(name: string, args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, LOG_FORMAT: 'json', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (d: string) => {
    out += d;
    for (const w of waiters) w();
  };
  child.stdout?.setEncoding('utf8').on('data', onData);
  child.stderr?.setEncoding('utf8').on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      resolve({ code, signal });
      for (const w of waiters) w();
    });
  });
  const matches = (text: string | RegExp) => (typeof text === 'string' ? out.includes(text) : text.test(out));
  return {
    name,
    child,
    pid: child.pid,
    output: () => out,
    exited,
    waitFor(text, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`${name}: no "${String(text)}" within ${timeoutMs} ms:\n${out.slice(-4000)}`)), timeoutMs);
        const check = () => {
          if (matches(text)) finish();
          else if (child.exitCode !== null || child.signalCode !== null) finish(new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before "${String(text)}":\n${out.slice(-4000)}`));
        };
        const finish = (e?: Error) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (e) reject(e);
          else resolve();
        };
        waiters.add(check);
        check();
      });
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      const start = Date.now();
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const r = await exited;
      return { ...r, ms: Date.now() - start };
    },
  };
}
