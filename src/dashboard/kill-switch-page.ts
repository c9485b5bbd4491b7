/**
 * The kill switch on the dashboard (issue #17): `/kill-switch`, server-rendered, behind the
 * dashboard's basic auth (mounted after it in dashboard-server.ts).
 *
 *   GET  /kill-switch   every target: its switch (engaged: who, when, why) and a form to disable or
 *                       enable it
 *   POST /kill-switch   form fields target, action (disable | enable), confirm, reason, reportOnly, token
 *
 * A POST is carried out only when
 *   - `confirm` is the target's name typed again (400 otherwise: nothing done);
 *   - `token` is this dashboard process's form token (random per process, in every form it renders;
 *     a cross-site page cannot read it), and a browser's `Origin` / `Sec-Fetch-Site`, when sent, say
 *     same origin (403 otherwise): basic auth alone is sent by the browser to any page that posts here;
 *   - disable: `reason` is not empty (400).
 * Who: the basic-auth user name, as `<user> (dashboard)`. Done or failed, the kill-switch notification
 * is queued (src/notify, `runKillSwitchNotified`: a failed PATCH says so in its reason). The work is src/pipeline/kill-switch.ts's,
 * the same as `tq-entra disable` / `enable`.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import type { RedisClient } from '../redis/redis-connection.ts';
import type { Config } from '../config/schema.ts';
import { coerceError, errorCodeOf } from '../errors/sync-error.ts';
import type { Logger } from '../observability/logger.ts';
import { redactString } from '../observability/secrets.ts';
import { runKillSwitchNotified } from '../notify/notify.ts';
import { engageKillSwitch, releaseKillSwitch } from '../pipeline/kill-switch.ts';
import type { Queues } from '../pipeline/queues.ts';
import { readKillSwitch, type KillSwitch } from '../state/kill-switch-store.ts';
import { stateKeys } from '../state/redis-keys.ts';
import { parseBasicAuth } from './basic-auth.ts';
import { escapeHtml } from './status/html.ts';

export const KILL_SWITCH_PATH = '/kill-switch';

interface PageDeps {
  config: Config;
  redis: RedisClient;
  log: Logger;
  /** The dashboard's queues: the kill-switch notification is queued on them (src/notify). */
  queues: Queues;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function switchText(ks: KillSwitch | undefined, configured: string): string {
  if (!ks) return `not engaged: the policy follows the configuration (${escapeHtml(configured)})`;
  const how = ks.state === 'disabled' ? 'disabled' : 'held report-only';
  return `<strong>ENGAGED</strong>: ${how} by kill switch (${escapeHtml(ks.by)}, ${escapeHtml(ks.at)}, &ldquo;${escapeHtml(ks.reason)}&rdquo;)`;
}

function targetForm(name: string, ks: KillSwitch | undefined, configured: string, token: string): string {
  const n = escapeHtml(name);
  const fields = ks
    ? `<input type="hidden" name="action" value="enable"><button>Enable: restore ${escapeHtml(configured)}</button>`
    : `<input type="hidden" name="action" value="disable">
      <label>Reason <input name="reason" size="60" required></label>
      <label><input type="checkbox" name="reportOnly" value="1"> report-only instead of disabled</label>
      <button>Disable enforcement</button>`;
  return `<section><h2>${n}</h2><p>${switchText(ks, configured)}</p>
    <form method="post" action="${KILL_SWITCH_PATH}">
      <input type="hidden" name="token" value="${token}"><input type="hidden" name="target" value="${n}">
      <label>Type the target name <code>${n}</code> to confirm <input name="confirm" required autocomplete="off"></label>
      ${fields}
    </form></section>`;
}

async function renderPage(deps: PageDeps, token: string, message?: string): Promise<string> {
  const keys = stateKeys(deps.config.redis.prefix);
  const sections: string[] = [];
  for (const t of deps.config.targets) sections.push(targetForm(t.name, await readKillSwitch(deps.redis, keys, t.name), t.policy.state, token));
  const note = message === undefined ? '' : `<p class="message"><strong>${escapeHtml(message)}</strong></p>`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>tq-entra kill switch</title>
<style>body{font-family:sans-serif;margin:2em}section{border:1px solid #ccc;padding:1em;margin:1em 0}label{display:block;margin:.4em 0}</style></head>
<body><h1>Kill switch</h1><p><a href="/queues">queues</a></p>${note}${sections.join('\n')}</body></html>`;
}

/** The browser's own word on where the POST comes from, when it gives one. */
function crossSite(req: Request): boolean {
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return true;
  const origin = req.headers.origin;
  if (typeof origin !== 'string') return false;
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}

type Form = Partial<Record<'target' | 'action' | 'confirm' | 'reason' | 'reportOnly' | 'token', string>>;

/** Why the POST is refused (status and text), or undefined to go ahead. */
function refusal(deps: PageDeps, form: Form, token: string, req: Request): { status: number; text: string } | undefined {
  if (crossSite(req) || !sameText(form.token ?? '', token)) return { status: 403, text: 'refused: the form is stale or came from another site; reload the kill switch page' };
  const target = deps.config.targets.find((t) => t.name === form.target);
  if (!target) return { status: 400, text: `unknown target ${JSON.stringify(form.target ?? '')}` };
  if (form.confirm !== target.name) return { status: 400, text: `not done: type the target name "${target.name}" exactly to confirm` };
  if (form.action !== 'disable' && form.action !== 'enable') return { status: 400, text: 'action must be disable or enable' };
  if (form.action === 'disable' && (form.reason ?? '').trim() === '') return { status: 400, text: 'not done: a reason is required to disable' };
  return undefined;
}

async function carryOut(deps: PageDeps, form: Required<Pick<Form, 'target' | 'action'>> & Form, by: string): Promise<string> {
  const base = { config: deps.config, redis: deps.redis, targetName: form.target, by, logger: deps.log };
  const notifyDeps = { ...deps, logger: deps.log };
  if (form.action === 'disable') {
    const state = form.reportOnly ? 'enabledForReportingButNotEnforced' : 'disabled';
    const reason = (form.reason ?? '').trim();
    const o = await runKillSwitchNotified(notifyDeps, form.target, { by, reason }, () => engageKillSwitch({ ...base, state, reason }));
    return `kill switch engaged for ${o.target}: ${o.policy ? `policy ${o.policy.id} is now ${o.policy.state}` : `no policy yet; it will be created ${state}`}`;
  }
  const why = form.reason ? { reason: form.reason } : {};
  const o = await runKillSwitchNotified(notifyDeps, form.target, { by, ...why }, () => releaseKillSwitch({ ...base, ...why }));
  if (!o.changed) return `kill switch was not engaged for ${o.target}: nothing done`;
  return `kill switch released for ${o.target}: ${o.policy ? `policy ${o.policy.id} is back to ${o.policy.state}` : 'no policy yet'}`;
}

export function killSwitchRouter(deps: PageDeps): express.Router {
  const token = randomBytes(24).toString('base64url');
  const router = express.Router();
  const page = async (res: Response, status: number, message?: string) => {
    res.status(status).type('html').set('Cache-Control', 'no-store').send(await renderPage(deps, token, message));
  };
  router.get('/', async (_req, res) => page(res, 200));
  router.post('/', express.urlencoded({ extended: false, limit: '16kb' }), async (req: Request, res: Response) => {
    const form = (req.body ?? {}) as Form;
    const refused = refusal(deps, form, token, req);
    if (refused) {
      deps.log.warn('kill switch request refused', { status: refused.status, target: form.target, reason: refused.text });
      return page(res, refused.status, refused.text);
    }
    const user = parseBasicAuth(req.headers.authorization)?.username;
    try {
      await page(res, 200, await carryOut(deps, form as Required<Pick<Form, 'target' | 'action'>> & Form, user ? `${user} (dashboard)` : 'dashboard'));
    } catch (e) {
      const err = coerceError(e);
      await page(res, 502, `failed: ${errorCodeOf(err)}: ${redactString(err.message)}${form.action === 'disable' ? ' (the kill switch is recorded: the next reconcile applies it)' : ''}`).catch(() => res.status(502).type('text/plain').send('failed\n'));
    }
  });
  return router;
}
