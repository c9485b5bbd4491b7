/**
 * The status pages' routes, mounted by the dashboard behind its basic auth: GET /status (index) and
 * GET /status/targets/:target (one target; 404 for a name the configuration does not know). HTML with
 * a script-free Content-Security-Policy and no caching; 503 with the reason when Redis cannot be read.
 */
import express, { type Request, type Response } from 'express';
import { coerceError } from '../../errors/sync-error.ts';
import type { Logger } from '../../observability/logger.ts';
import { redactString } from '../../observability/secrets.ts';
import { html } from './html.ts';
import { gatherIndex, gatherTargetStatus, type StatusDeps } from './status-data.ts';
import { STATUS_CSP, page, renderIndexPage, renderTargetPage } from './status-page.ts';

export interface StatusRouteDeps extends StatusDeps {
  /** Undefined when Redis can serve a request now, else why not. */
  unavailable(): Promise<string | undefined>;
  log: Logger;
}

function send(res: Response, status: number, body: string): void {
  res.status(status).set({ 'Content-Security-Policy': STATUS_CSP, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' }).type('html').send(body);
}

function handler(deps: StatusRouteDeps, render: (req: Request) => Promise<{ status: number; body: string }>) {
  return async (req: Request, res: Response): Promise<void> => {
    const down = await deps.unavailable();
    if (down !== undefined) {
      send(res, 503, page('status unavailable', html`<h1>Status unavailable</h1><p class="error">${down}</p>`));
      return;
    }
    try {
      const r = await render(req);
      send(res, r.status, r.body);
    } catch (e) {
      const reason = redactString(coerceError(e).message);
      deps.log.warn('status page unavailable', { reason });
      send(res, 503, page('status unavailable', html`<h1>Status unavailable</h1><p class="error">${reason}</p>`));
    }
  };
}

export function statusRouter(deps: StatusRouteDeps): express.Router {
  const router = express.Router();
  router.get(
    '/',
    handler(deps, async () => ({ status: 200, body: renderIndexPage(await gatherIndex(deps)) })),
  );
  router.get(
    '/targets/:target',
    handler(deps, async (req) => {
      const name = String(req.params['target']);
      const target = deps.config.targets.find((t) => t.name === name);
      if (!target) return { status: 404, body: page('unknown target', html`<h1>Unknown target</h1><p>No target named <code>${name}</code> is configured.</p>`) };
      return { status: 200, body: renderTargetPage(await gatherTargetStatus(deps, target)) };
    }),
  );
  return router;
}
