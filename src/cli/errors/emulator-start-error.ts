/**
 * Why an emulator command could not start, as the CLI reports it: a port in use (or not permitted) is
 * an ops listen failure (ERR_OPS_LISTEN, exit 1, like the worker and the dashboard: http-listen.ts
 * `listenFailure`); anything else is a problem with the command's options (exit 2).
 */
import { UsageError } from '../../errors/sync-error.ts';
import { listenFailure } from '../../http/http-listen.ts';

export function emulatorStartError(what: string, host: string, port: string, e: unknown): Error {
  return listenFailure(e, host, port, `cannot start the ${what} emulator: `) ?? new UsageError(`cannot start the ${what} emulator: ${(e as Error).message}`);
}
