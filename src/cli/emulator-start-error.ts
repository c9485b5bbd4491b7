/**
 * Why an emulator command could not start, as the CLI reports it: a port in use (or not permitted) is
 * an ops listen failure (ERR_OPS_LISTEN, exit 1, like the worker and the dashboard); anything else is
 * a problem with the command's options (exit 2).
 */
import { UsageError } from '../errors/sync-error.ts';
import { ListenError } from '../ops/listen-error.ts';

export function emulatorStartError(what: string, host: string, port: string, e: unknown): Error {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE' || code === 'EACCES') {
    const why = code === 'EADDRINUSE' ? 'the address is already in use' : 'permission denied';
    return new ListenError(`cannot start the ${what} emulator: cannot listen on ${host}:${port}: ${why}`, { cause: e });
  }
  return new UsageError(`cannot start the ${what} emulator: ${(e as Error).message}`);
}
