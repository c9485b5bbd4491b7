/**
 * Await a condition instead of sleeping a fixed time: polls `cond` every `intervalMs` until it holds,
 * or fails naming `what` once `timeoutMs` has passed.
 */
export async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000, intervalMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
