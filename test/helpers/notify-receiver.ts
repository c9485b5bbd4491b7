/**
 * A webhook receiver for notification tests: an HTTP server on 127.0.0.1 that records every POST
 * (path, time, parsed JSON body, the status it answered) and answers 200 unless told otherwise:
 * `answer(path, [500, 429])` answers the next requests to `path` with those statuses in turn (then
 * 200 again); `hold(path)` leaves requests to `path` unanswered until `release()` (a slow or hung
 * receiver). `close()` drops every connection.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Received {
  path: string;
  at: number;
  body: any;
  /** The status answered; undefined while held. */
  status: number | undefined;
}

export interface NotifyReceiver {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  received: Received[];
  /** Requests to `path` (every attempt, answered or not). */
  at(path: string): Received[];
  answer(path: string, statuses: number[]): void;
  hold(path: string): void;
  /** Answer every held request 200 and stop holding. */
  release(): void;
  /** Requests held now. */
  held(): number;
  close(): Promise<void>;
}

export async function startNotifyReceiver(): Promise<NotifyReceiver> {
  const received: Received[] = [];
  const scripted = new Map<string, number[]>();
  const holding = new Set<string>();
  const heldNow: { res: ServerResponse; rec: Received }[] = [];
  const sockets = new Set<Socket>();
  const respond = (res: ServerResponse, rec: Received, status: number) => {
    rec.status = status;
    res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'no');
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.setEncoding('utf8').on('data', (d: string) => (text += d));
    req.on('end', () => {
      const path = req.url ?? '';
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
      const rec: Received = { path, at: Date.now(), body, status: undefined };
      received.push(rec);
      if (holding.has(path)) {
        heldNow.push({ res, rec });
        return;
      }
      respond(res, rec, scripted.get(path)?.shift() ?? 200);
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    at: (path) => received.filter((r) => r.path === path),
    answer: (path, statuses) => scripted.set(path, [...statuses]),
    hold: (path) => holding.add(path),
    release() {
      holding.clear();
      for (const h of heldNow.splice(0)) respond(h.res, h.rec, 200);
    },
    held: () => heldNow.length,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
