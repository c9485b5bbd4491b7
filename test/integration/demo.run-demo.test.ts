import { describe, expect, it } from 'vitest';
import { runDemo } from '../../src/demo/run-demo.ts';
import { startWorkers } from '../../workers/start-workers.ts';
import { expectedRanges, qualifyingValues, rangesInEntra, whitelistValues } from '../helpers/expected-ranges.ts';
import { mergeCidrs, subtractCidrs } from '../../src/ranges/index.ts';
import { runCli } from '../helpers/run-cli.ts';

describe('demo', () => {
  it('runs a full sync against the built-in emulators and its summary matches the final emulator state', async () => {
    let text = '';
    const demo = await runDemo({ indicators: [3000, 2000], rps: 0, dashboardPort: 0, workerPort: 0, write: (t) => void (text += t), startWorkers });
    try {
      expect(demo.ok).toBe(true);
      const [east, west] = demo.threatq;
      if (!east || !west) throw new Error('unreachable');
      const values = [...qualifyingValues(east, '6d4c1f0e2b9a8c7d'), ...qualifyingValues(west, 'a1b2c3d4e5f6')];
      const whitelist = [...whitelistValues(east, '6d4c1f0e2b9a8c7d'), ...whitelistValues(west, 'a1b2c3d4e5f6')];
      const expected = subtractCidrs(expectedRanges(values, { whitelist }), ['203.0.113.0/28']);
      const inEntra = rangesInEntra(demo.graph, 'ThreatQ Demo Block');
      expect(inEntra.all).toEqual(mergeCidrs(expected));
      // The summary reports exactly what the emulator holds.
      expect(demo.summary.locations.map((l) => [l.displayName, l.ranges])).toEqual(
        inEntra.locations.map((l) => [l.displayName, l.ranges.length]).sort((a, b) => String(a[0]).length - String(b[0]).length || String(a[0]).localeCompare(String(b[0]))),
      );
      expect(demo.summary.locations.reduce((n, l) => n + l.ranges, 0)).toBe(demo.summary.desired);
      // The generated collections hold Whitelisted IP indicators: reported per source and at the target.
      expect(demo.summary.sources.map((s) => s.whitelisted)).toEqual([whitelistValues(east, '6d4c1f0e2b9a8c7d').length, whitelistValues(west, 'a1b2c3d4e5f6').length]);
      expect(demo.summary.whitelist.ranges).toBeGreaterThan(0);
      expect(text).toContain('ThreatQ whitelist:');
      const state = demo.graph.state();
      const policy = state.policies[0] as { state: string; conditions: { locations: { includeLocations: string[] } } };
      expect(policy.state).toBe('enabledForReportingButNotEnforced');
      expect(demo.summary.policy?.locations).toBe(state.namedLocations.length);
      expect(new Set(policy.conditions.locations.includeLocations)).toEqual(new Set((state.namedLocations as { id: string }[]).map((l) => l.id)));
      const log = demo.graph.requests({ kind: 'graph' });
      expect(demo.summary.graph.writes).toBe(log.filter((e) => e.method !== 'GET').length);
      for (const s of demo.summary.sources) {
        expect(s.status).toBe('succeeded');
        expect(s.accepted + s.rejected).toBe(s.kept);
      }
      expect(text).toContain('report-only');
      expect(text).toContain(`${demo.dashboardUrl}/queues`);
      const page = await fetch(`${demo.dashboardUrl}/metrics`, { headers: { authorization: `Basic ${Buffer.from(`demo:${demo.dashboardPassword}`).toString('base64')}` } });
      const metrics = await page.text();
      for (const series of ['tq_entra_indicators_total', 'tq_entra_location_ranges', 'tq_entra_graph_requests_total', 'tq_entra_runs_total', 'tq_entra_last_successful_reconcile_timestamp_seconds', 'bullmq_job_count']) {
        expect(metrics).toContain(series);
      }
    } finally {
      await demo.close();
    }
  });

  it('tq-entra demo --once exits 0 after printing the summary', async () => {
    const r = await runCli(['demo', '--once', '--indicators', '800', '--rps', '0', '--port', '0'], { env: { LOG_LEVEL: 'warn' }, timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Target demo-tenant: [\d,]+ ranges desired/);
    expect(r.stdout).toContain('Dashboard: http://127.0.0.1:');
  });
});
