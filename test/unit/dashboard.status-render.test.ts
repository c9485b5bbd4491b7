/**
 * The status page's HTML: untrusted text (target, location, policy and source names, reason codes,
 * rejected indicator values, error messages, ranges) is escaped wherever it lands, in text and in
 * attributes; capacity bars show the right share and level; the index links each target by its
 * URL-encoded name; the kill switch and history sections show their placeholders.
 */
import { describe, expect, it } from 'vitest';
import { escapeHtml, html } from '../../src/dashboard/status/html.ts';
import { capacityBar } from '../../src/dashboard/status/status-sections.ts';
import { renderIndexPage, renderTargetPage } from '../../src/dashboard/status/status-page.ts';
import type { TargetStatusView } from '../../src/dashboard/status/status-data.ts';

const EVIL = `<script>alert("x")</script>'&`;

function hostileView(): TargetStatusView {
  const recorded = {
    recordedAt: '2026-11-30T09:00:00.000Z',
    tenantId: `t${EVIL}`,
    policy: { displayName: `P${EVIL}`, state: 'enabled' },
    locations: [
      { displayName: `L${EVIL}`, ranges: ['198.51.100.1/32', `R${EVIL}`] },
      { displayName: `L${EVIL} (2)`, ranges: ['198.51.100.2/32'] },
    ],
  };
  return {
    target: `T${EVIL}`,
    policy: { name: `P${EVIL}`, configuredState: 'enabledForReportingButNotEnforced', recorded },
    killSwitch: { engaged: false },
    locations: { maxLocations: 2, maxRangesPerLocation: 2, recordedAt: recorded.recordedAt, locations: recorded.locations },
    sources: [
      {
        source: `S${EVIL}`,
        collection: `C${EVIL}`,
        last: {
          run: { id: `run${EVIL}`, kind: 'collect', name: `S${EVIL}`, trigger: 'schedule', status: 'failed', startedAt: 'x', counts: {}, error: { code: 'ERR_X', message: `M${EVIL}` } },
          rejections: { accepted: 5, rejected: 3, reasons: { [`Q${EVIL}`]: 2, RESERVED: 1 }, warnings: {}, examples: { [`Q${EVIL}`]: [{ line: 7, value: `V${EVIL}` }] } },
        },
      },
    ],
    reconcile: { id: 'r1', kind: 'reconcile', name: 't', trigger: 'schedule', status: 'succeeded', startedAt: 'x', counts: { added: 2, removed: 1, finalRanges: 3, graphWrites: 2 }, details: { policy: 'update', locations: [{ displayName: `W${EVIL}`, action: 'update', size: 2 }] } },
    throttle: { tenantId: `t${EVIL}`, pause: { blockedForMs: 4200, streak: 3 }, throttled: { count: 5, ms: 9000 }, delays: { count: 1, ms: 4000 } },
    history: { recorded: false },
  };
}

describe('status page escaping', () => {
  it('escapes the five HTML-special characters; html nests safely and joins arrays', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<p>${inner}${['<', html`<br>`]}${undefined}${false}${0}</p>`.text).toBe('<p><b>&lt;i&gt;</b>&lt;<br>0</p>');
  });

  it('never lets untrusted text out unescaped, in text or attributes', () => {
    const page = renderTargetPage(hostileView());
    expect(page).not.toContain('<script');
    expect(page).not.toContain(EVIL);
    expect(page).not.toMatch(/="[^"]*<script/);
    const escaped = escapeHtml(EVIL);
    for (const prefix of ['T', 'P', 'L', 'R', 'S', 'C', 'M', 'Q', 'V', 'W', 't', 'run']) expect(page).toContain(`${prefix}${escaped}`);
    expect(page).toContain(`aria-label="L${escaped}: 2 of 2"`);
  });

  it('shows the sections: state, capacity, reasons by count, writes, the 429 pause, placeholders', () => {
    const page = renderTargetPage(hostileView());
    expect(page).toContain('enabled (enforced)');
    expect(page).toContain('Configured state is report-only (enabledForReportingButNotEnforced).');
    expect(page).toContain('2 of 2 locations');
    expect(page).toContain('3 / 4 (75.0%)');
    expect(page.indexOf(`Q${escapeHtml(EVIL)}`)).toBeLessThan(page.indexOf('RESERVED'));
    expect(page).toContain('accepted 5</span>, <span class="rejected">rejected 3');
    expect(page).toContain('added 2, removed 1, ranges after 3; Graph writes 2');
    expect(page).toContain('no request for 4.2 s (429s in a row: 3)');
    expect(page).toContain('Throttled requests of this target: 5 (waited 9.0 s); jobs delayed because the tenant stayed throttled: 1 (4.0 s)');
    expect(page).toContain('Kill switch: not engaged.');
    expect(page).toContain('history: not recorded yet');
  });

  it('shows an engaged kill switch (who, when, why escaped) and the recorded history as a chart', () => {
    const v = hostileView();
    const page = renderTargetPage({
      ...v,
      killSwitch: { engaged: true, switch: { state: 'disabled', by: `alice${EVIL}`, at: '2026-11-30T03:12:09.000Z', reason: `partner${EVIL}` } },
      history: { recorded: true, points: [{ at: Date.parse('2026-11-29T00:00:00Z'), ranges: 3 }, { at: Date.parse('2026-11-30T00:00:00Z'), ranges: 1 }] },
    });
    expect(page).toContain('<strong>Kill switch ENGAGED</strong>: the policy is held disabled by alice');
    expect(page).toContain(`partner${escapeHtml(EVIL)}`);
    expect(page).not.toContain(`partner${EVIL}`);
    expect(page).not.toContain('history: not recorded yet');
    expect(page).toMatch(/<section id="history"><h2>Ranges over time<\/h2><svg/);
  });

  it('draws capacity bars by share, amber from 80 %, red when full, never wider than the bar', () => {
    expect(capacityBar(0, 2000, 'a').text).toContain('data-level="ok"');
    expect(capacityBar(1600, 2000, 'a').text).toMatch(/data-level="high".*style="width:80\.0%".*1600 \/ 2000 \(80\.0%\)/);
    expect(capacityBar(2000, 2000, 'a').text).toContain('data-level="full"');
    expect(capacityBar(2500, 2000, 'a').text).toMatch(/style="width:100\.0%".*2500 \/ 2000 \(125\.0%\)/);
  });

  it('links each target by its encoded name on the index', () => {
    const v = hostileView();
    const page = renderIndexPage([
      { target: 'a/b <c>', recorded: v.policy.recorded, reconcile: v.reconcile, capacity: 4 },
      { target: 'new', recorded: undefined, reconcile: null, capacity: 20_000 },
    ]);
    expect(page).toContain('href="/status/targets/a%2Fb%20%3Cc%3E">a/b &lt;c&gt;</a>');
    expect(page).toContain('3 / 4 (75.0%)');
    expect(page).toMatch(/new<\/a><\/td><td>not recorded yet<\/td><td>—<\/td><td>no reconcile yet/);
  });
});
