/**
 * The HTML of each status page section (one renderer per section of status-data.ts), server-rendered
 * with no script. Every value from a feed, the configuration or Redis goes through `html` (escaped).
 * A capacity bar is a plain div whose width is the computed percentage; a location's ranges are a
 * <details> list (collapsed until opened).
 */
import type { RunRecord } from '../../pipeline/run-store.ts';
import { html, type SafeHtml } from './html.ts';
import { renderRangeChart } from './range-chart.ts';
import type { HistorySection, KillSwitchSection, LocationsSection, PolicySection, SourceRunSection, ThrottleSection } from './status-data.ts';

const STATE_LABEL: Record<string, string> = {
  enabled: 'enabled (enforced)',
  disabled: 'disabled',
  enabledForReportingButNotEnforced: 'report-only (enabledForReportingButNotEnforced)',
};

function stateLabel(state: string): string {
  return STATE_LABEL[state] ?? state;
}

function percent(n: number, of: number): string {
  return of > 0 ? `${((n / of) * 100).toFixed(1)}%` : '0%';
}

/** A capacity bar: `n / of (p%)`, amber from 80 %, red when full. */
export function capacityBar(n: number, of: number, label: string): SafeHtml {
  const ratio = of > 0 ? n / of : 0;
  const level = ratio >= 1 ? 'full' : ratio >= 0.8 ? 'high' : 'ok';
  const width = Math.min(100, ratio * 100).toFixed(1);
  return html`<div class="capacity" data-level="${level}"><div class="bar" role="img" aria-label="${label}: ${n} of ${of}"><span class="fill ${level}" style="width:${width}%"></span></div><span class="bar-text">${n} / ${of} (${percent(n, of)})</span></div>`;
}

function ms(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(1)} s` : `${n} ms`;
}

export function renderPolicy(p: PolicySection, killSwitch: KillSwitchSection): SafeHtml {
  const live = p.recorded?.policy;
  const recordedAt = p.recorded?.recordedAt;
  const state = live
    ? html`<p>Policy <strong class="policy-name">${live.displayName}</strong>: <strong class="policy-state">${stateLabel(live.state)}</strong> as of the last applied reconcile (${recordedAt}).</p>`
    : html`<p class="policy-state">${p.recorded ? 'no policy after the last applied reconcile' : 'not recorded yet: no reconcile has been applied'} (policy <strong>${p.name}</strong>).</p>`;
  const drift = live && live.state !== p.configuredState ? html`<p class="warn">Configured state is ${stateLabel(p.configuredState)}.</p>` : undefined;
  return html`<section id="policy"><h2>Policy</h2>${state}<p>Configured state: ${stateLabel(p.configuredState)}.</p>${drift}${renderKillSwitch(killSwitch)}</section>`;
}

/** The kill switch: engaged (who, when, why; the policy is held in its state) or not. */
export function renderKillSwitch(k: KillSwitchSection): SafeHtml {
  if (!k.engaged) return html`<p class="kill-switch" data-engaged="false">Kill switch: not engaged.</p>`;
  const { state, by, at, reason } = k.switch;
  return html`<p class="kill-switch" data-engaged="true"><strong>Kill switch ENGAGED</strong>: the policy is held ${state} by ${by} since ${at}, &ldquo;${reason}&rdquo;. Reconciles keep the named locations current and never re-enable the policy; <code>tq-entra enable</code> or the <a href="/kill-switch">kill switch page</a> gives enforcement back.</p>`;
}

function locationItem(l: LocationsSection['locations'][number], max: number): SafeHtml {
  const items = l.ranges.map((r) => html`<li>${r}</li>`);
  return html`<li class="location"><div class="location-name">${l.displayName}</div>${capacityBar(l.ranges.length, max, l.displayName)}<details><summary>${l.ranges.length} ${l.ranges.length === 1 ? 'range' : 'ranges'}</summary><ul class="ranges">${items}</ul></details></li>`;
}

export function renderLocations(s: LocationsSection): SafeHtml {
  if (s.recordedAt === undefined) return html`<section id="locations"><h2>Named locations</h2><p>not recorded yet: no reconcile has been applied.</p></section>`;
  const total = s.locations.reduce((n, l) => n + l.ranges.length, 0);
  const capacity = s.maxLocations * s.maxRangesPerLocation;
  return html`<section id="locations"><h2>Named locations</h2>
<p>As of ${s.recordedAt}: ${s.locations.length} of ${s.maxLocations} locations, ranges of the target:</p>${capacityBar(total, capacity, 'target capacity')}
<ul class="locations">${s.locations.map((l) => locationItem(l, s.maxRangesPerLocation))}</ul></section>`;
}

function reasonRows(r: NonNullable<SourceRunSection['last']>['rejections']): SafeHtml[] {
  if (!r) return [];
  return Object.entries(r.reasons)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([reason, n]) => {
      const examples = (r.examples[reason] ?? []).map((e) => html`<li>line ${e.line}: <code>${e.value}</code></li>`);
      return html`<li class="reason"><span class="reason-code">${reason}</span>: ${n}${examples.length > 0 ? html`<ul class="examples">${examples}</ul>` : undefined}</li>`;
    });
}

function sourceBlock(s: SourceRunSection): SafeHtml {
  const head = html`<h3>${s.source} / ${s.collection}</h3>`;
  if (!s.last) return html`<div class="source">${head}<p>no run yet</p></div>`;
  const { run, rejections } = s.last;
  const error = run.error ? html`<p class="error">${run.error.code}: ${run.error.message}</p>` : undefined;
  return html`<div class="source">${head}<p>Last run <code>${run.id}</code> (${run.trigger}): <strong class="run-status">${run.status}</strong>, started ${run.startedAt}${run.finishedAt ? html`, finished ${run.finishedAt}` : undefined}.</p>${error}
<p><span class="accepted">accepted ${rejections?.accepted ?? 0}</span>, <span class="rejected">rejected ${rejections?.rejected ?? 0}</span></p><ul class="reasons">${reasonRows(rejections)}</ul></div>`;
}

export function renderSources(list: readonly SourceRunSection[]): SafeHtml {
  const body = list.length === 0 ? html`<p>no source feeds this target.</p>` : list.map(sourceBlock);
  return html`<section id="sources"><h2>Sources (last run each)</h2>${body}</section>`;
}

interface WrittenLocation {
  displayName: string;
  action: string;
  size: number;
}

function writtenLocations(run: RunRecord): WrittenLocation[] {
  const list = run.details?.['locations'];
  if (!Array.isArray(list)) return [];
  return list.filter((l): l is WrittenLocation => typeof l === 'object' && l !== null && typeof (l as WrittenLocation).displayName === 'string');
}

export function renderReconcile(run: RunRecord | null): SafeHtml {
  if (!run) return html`<section id="reconcile"><h2>Last reconcile</h2><p>no reconcile yet.</p></section>`;
  const c = run.counts;
  const error = run.error ? html`<p class="error">${run.error.code}: ${run.error.message}</p>` : undefined;
  const rows = writtenLocations(run).map((l) => html`<tr><td>${l.displayName}</td><td class="action">${l.action}</td><td>${l.size}</td></tr>`);
  const policy = typeof run.details?.['policy'] === 'string' ? html`<p>Policy: <span class="policy-action">${run.details['policy']}</span></p>` : undefined;
  const table = rows.length > 0 ? html`<table><thead><tr><th>location</th><th>write</th><th>ranges after</th></tr></thead><tbody>${rows}</tbody></table>` : undefined;
  return html`<section id="reconcile"><h2>Last reconcile</h2><p>Run <code>${run.id}</code> (${run.trigger}): <strong class="run-status">${run.status}</strong>, started ${run.startedAt}${run.finishedAt ? html`, finished ${run.finishedAt}` : undefined}.</p>${error}
<p class="writes">added ${c['added'] ?? 0}, removed ${c['removed'] ?? 0}, ranges after ${c['finalRanges'] ?? '?'}; Graph writes ${c['graphWrites'] ?? 0}, reads ${c['graphReads'] ?? 0}</p>${policy}${table}</section>`;
}

export function renderThrottle(t: ThrottleSection): SafeHtml {
  const pause = t.pause.blockedForMs > 0
    ? html`<p class="throttle-state warn">Graph paused for tenant ${t.tenantId}: no request for ${ms(t.pause.blockedForMs)} (429s in a row: ${t.pause.streak}).</p>`
    : html`<p class="throttle-state">No 429 pause for tenant ${t.tenantId} (429s in a row: ${t.pause.streak}).</p>`;
  return html`<section id="throttle"><h2>Graph throttling (429)</h2>${pause}
<p>Throttled requests of this target: ${t.throttled.count} (waited ${ms(t.throttled.ms)}); jobs delayed because the tenant stayed throttled: ${t.delays.count} (${ms(t.delays.ms)}).</p></section>`;
}

export function renderHistory(h: HistorySection, capacity: number): SafeHtml {
  const body = h.recorded ? renderRangeChart(h.points, { capacity }) : html`<p class="history">history: not recorded yet</p>`;
  return html`<section id="history"><h2>Ranges over time</h2>${body}</section>`;
}
