/**
 * Graph requests that got no HTTP response (connection reset or refused, TLS failure, timeout) are
 * counted by graph-request.ts as "<METHOD> ERR"; the metrics recorder must accept that status class
 * and export it, instead of failing the whole recording (issue 12, item 4: after a Graph emulator
 * restart every reconcile logged `byMethodStatus: expected keys like "GET 200" … got "GET ERR"`).
 */
import { describe, expect, it } from 'vitest';
import { renderServiceMetrics } from '../../src/dashboard/metrics-export.ts';
import { MetricsInputError } from '../../src/observability/errors/metrics-input-error.ts';
import { recordGraphRequests } from '../../src/observability/metrics-store.ts';
import { emulatorClient } from '../fixtures/graph/graph-target.ts';
import { useGraphEmulator } from '../helpers/graph-emulator-suite.ts';
import { parseExposition, sampleValue } from '../helpers/prom-parse.ts';

const suite = useGraphEmulator('ops-metrics-neterr');

describe('Graph network errors in the service metrics', () => {
  it('records the stats of a client that met a connection reset, and exports status="ERR"', async () => {
    suite.emu.addFaults([{ method: 'GET', reset: true }]);
    const c = emulatorClient(suite.emu, suite.r.client, `${suite.r.prefix}:client`);
    expect(await c.listPolicies()).toEqual([]);
    expect(c.stats.byMethodStatus).toMatchObject({ 'GET ERR': 1, 'GET 200': 1 });

    await expect(
      recordGraphRequests(suite.r.client, suite.r.prefix, { target: 't1', byMethodStatus: c.stats.byMethodStatus, throttled: c.stats.throttled, throttledMs: c.stats.throttledMs }),
    ).resolves.toBe(true);
    await recordGraphRequests(suite.r.client, suite.r.prefix, { target: 't1', byMethodStatus: { 'PATCH ERR': 2 }, throttled: 0, throttledMs: 0 });

    const m = parseExposition(await renderServiceMetrics(suite.r.client, suite.r.prefix, []));
    expect(sampleValue(m, 'tq_entra_graph_requests_total', { target: 't1', method: 'GET', status: 'ERR' })).toBe(1);
    expect(sampleValue(m, 'tq_entra_graph_requests_total', { target: 't1', method: 'GET', status: '200' })).toBe(1);
    expect(sampleValue(m, 'tq_entra_graph_requests_total', { target: 't1', method: 'PATCH', status: 'ERR' })).toBe(2);
  });

  it('still refuses malformed keys, naming the accepted forms', async () => {
    for (const key of ['GET Err', 'GET ERROR', 'get ERR', 'GET 20', 'GET', 'GET  ERR']) {
      const err = await recordGraphRequests(suite.r.client, suite.r.prefix, { target: 't', byMethodStatus: { [key]: 1 }, throttled: 0, throttledMs: 0 }).catch((e: unknown) => e);
      expect(err, key).toBeInstanceOf(MetricsInputError);
      expect((err as Error).message).toContain('"GET ERR"');
    }
  });
});
