/**
 * HTTP plumbing of the Graph emulator: Graph-shaped error bodies, timestamps in Graph's format
 * (UTC, 7 fractional digits), body reading and response writing.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface EmulatorResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

let tick = 0;

/** `2019-09-04T01:11:34.9387578Z`: millisecond precision plus 4 digits that keep values distinct. */
export function graphTimestamp(at: number = Date.now()): string {
  tick = (tick + 1) % 10_000;
  return new Date(at).toISOString().replace('Z', `${String(tick).padStart(4, '0')}Z`);
}

export interface ErrorOptions {
  innerMessage?: string;
  headers?: Record<string, string>;
}

/** A Graph error response; `innerError` gets date and request ids when sent. */
export function graphError(status: number, code: string, message: string, options: ErrorOptions = {}): EmulatorResponse {
  const innerError: Record<string, string> = {};
  if (options.innerMessage !== undefined) innerError['message'] = options.innerMessage;
  return { status, body: { error: { code, message, innerError } }, headers: options.headers ?? {} };
}

export const MALFORMED = 'The server could not process the request because it is malformed or incorrect.';

export function badRequest(message: string, innerMessage?: string): EmulatorResponse {
  return graphError(400, 'BadRequest', message, innerMessage === undefined ? {} : { innerMessage });
}

export async function readBody(req: IncomingMessage, limit = 20 * 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limit) throw new Error(`request body larger than ${limit} bytes`);
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Write a response; error bodies get innerError date/request-id/client-request-id. */
export function writeResponse(req: IncomingMessage, res: ServerResponse, r: EmulatorResponse): void {
  const requestId = randomUUID();
  const clientRequestId = String(req.headers['client-request-id'] ?? requestId);
  const headers: Record<string, string> = { 'request-id': requestId, 'client-request-id': clientRequestId, ...(r.headers ?? {}) };
  let body = r.body;
  const err = (body as { error?: { innerError?: Record<string, unknown> } } | undefined)?.error;
  if (err?.innerError) {
    err.innerError = { date: new Date().toISOString().slice(0, 19), 'request-id': requestId, 'client-request-id': clientRequestId, ...err.innerError };
    body = { error: err };
  }
  if (body === undefined) {
    res.writeHead(r.status, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(r.status, { ...headers, 'content-type': 'application/json; odata.metadata=minimal; charset=utf-8', 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}
