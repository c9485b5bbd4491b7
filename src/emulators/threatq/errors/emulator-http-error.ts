/**
 * Thrown by the ThreatQ emulator's handlers to answer with a status and a ThreatQ-style body
 * (emulator-http.ts sends it). Emulator-only: an HTTP answer, not a service failure, so it is no
 * SyncError and has no code of the table.
 */
export class EmulatorHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
  }
}
