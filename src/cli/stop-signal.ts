/**
 * Long-running subcommands (worker, scheduler, dashboard, emulators, demo) stay up until SIGTERM or
 * SIGINT. `untilStopSignal()` resolves with the first of them; `onSecondSignal` runs if another
 * arrives while the command is shutting down (the worker uses it to hand jobs back at once).
 */
export function untilStopSignal(onSecondSignal?: (signal: NodeJS.Signals) => void): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const first = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', first);
      process.off('SIGINT', first);
      if (onSecondSignal) {
        process.once('SIGTERM', onSecondSignal);
        process.once('SIGINT', onSecondSignal);
      }
      resolve(signal);
    };
    process.on('SIGTERM', first);
    process.on('SIGINT', first);
  });
}
