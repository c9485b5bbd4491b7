/**
 * The status pages as whole HTML documents: `/status` (every configured target with its policy state,
 * ranges against capacity and last reconcile, each linking to its page) and `/status/targets/<name>`
 * (the sections of status-sections.ts in order). Plain HTML and inline CSS, no script; the routes send
 * them with a Content-Security-Policy that allows no script at all.
 */
import { SafeHtml, html } from './html.ts';
import type { TargetStatusView, TargetSummary } from './status-data.ts';
import { capacityBar, renderHistory, renderLocations, renderPolicy, renderReconcile, renderSources, renderThrottle } from './status-sections.ts';

/** No script, no external resource; inline styles only (the capacity bars' widths). */
export const STATUS_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;max-width:70em}
h1{font-size:1.4em}h2{font-size:1.15em;border-bottom:1px solid #ccc;margin-top:1.5em}h3{font-size:1em;margin-bottom:.3em}
.capacity{display:flex;align-items:center;gap:.6em;margin:.2em 0}.bar{width:16em;height:.8em;background:#e5e5e5;border:1px solid #bbb}
.fill{display:block;height:100%;background:#2f7d32}.fill.high{background:#d89614}.fill.full{background:#c62828}
ul.locations{list-style:none;padding-left:0}li.location{margin:.6em 0}.location-name{font-weight:600}
ul.ranges{columns:4 12em;font-family:monospace}.warn,.error{color:#b00020}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em}
nav a{margin-right:1em}`;
/** The stylesheet: a trusted constant, inserted as is. */
const STYLE = new SafeHtml(CSS);

/** A whole document around `body`. */
export function page(title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title><style>${STYLE}</style></head>
<body><nav><a href="/status">status</a><a href="/queues">queues</a><a href="/metrics">metrics</a></nav>${body}</body></html>
`.text;
}

export function targetHref(target: string): string {
  return `/status/targets/${encodeURIComponent(target)}`;
}

export function renderTargetPage(v: TargetStatusView): string {
  const capacity = v.locations.maxLocations * v.locations.maxRangesPerLocation;
  return page(
    `${v.target}: tq-entra status`,
    html`<h1>Target <span class="target-name">${v.target}</span></h1>
${renderPolicy(v.policy, v.killSwitch)}
${renderLocations(v.locations)}
${renderSources(v.sources)}
${renderReconcile(v.reconcile)}
${renderThrottle(v.throttle)}
${renderHistory(v.history, capacity)}`,
  );
}

function indexRow(t: TargetSummary): SafeHtml {
  const ranges = t.recorded?.locations.reduce((n, l) => n + l.ranges.length, 0);
  const state = t.recorded ? (t.recorded.policy?.state ?? 'no policy') : 'not recorded yet';
  const run = t.reconcile ? html`${t.reconcile.status} (${t.reconcile.finishedAt ?? t.reconcile.startedAt})` : 'no reconcile yet';
  return html`<tr><td><a href="${targetHref(t.target)}">${t.target}</a></td><td>${state}</td><td>${ranges === undefined ? '—' : capacityBar(ranges, t.capacity, t.target)}</td><td>${run}</td></tr>`;
}

export function renderIndexPage(targets: readonly TargetSummary[]): string {
  return page(
    'tq-entra status',
    html`<h1>Targets</h1><table><thead><tr><th>target</th><th>policy state</th><th>ranges / capacity</th><th>last reconcile</th></tr></thead><tbody>${targets.map(indexRow)}</tbody></table>`,
  );
}
