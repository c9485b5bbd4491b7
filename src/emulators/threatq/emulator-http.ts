/**
 * Small HTTP helpers for the ThreatQ emulator: JSON answers, body reading (JSON or form encoded, as
 * ThreatQ's token endpoint accepts both); handlers throw errors/emulator-http-error.ts. Emulator-only.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EmulatorHttpError } from './errors/emulator-http-error.ts';

const MAX_BODY = 10 * 1024 * 1024;

export function errorsBody(...messages: string[]): { errors: string[] } {
  return { errors: messages };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendJsonText(res, status, JSON.stringify(body), headers);
}

/** As sendJson, for a body already serialised. */
export function sendJsonText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > MAX_BODY) throw new EmulatorHttpError(413, errorsBody('The request body is too large.'));
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parse a body as JSON or as a form, by content type (falling back to a guess). */
export function parseBody(text: string, contentType: string | undefined): Record<string, unknown> {
  if (text.trim() === '') return {};
  const type = (contentType ?? '').toLowerCase();
  const asForm = () => Object.fromEntries(new URLSearchParams(text));
  if (type.includes('application/x-www-form-urlencoded')) return asForm();
  try {
    const v = JSON.parse(text) as unknown;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    throw new EmulatorHttpError(400, errorsBody('The request body must be a JSON object.'));
  } catch (e) {
    if (e instanceof EmulatorHttpError) throw e;
    if (type.includes('json')) throw new EmulatorHttpError(400, errorsBody('The request body is not valid JSON.'));
    return asForm();
  }
}

/** JSON body of a control call (arrays allowed). */
export function parseJson(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new EmulatorHttpError(400, errorsBody('The request body is not valid JSON.'));
  }
}
