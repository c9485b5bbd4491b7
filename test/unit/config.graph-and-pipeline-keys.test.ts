/**
 * Configuration keys that replaced a constant and an environment variable (issue 15), and the
 * reconcile window: `targets[].rateLimit.allowAboveMicrosoftLimit` (the opt-in for more than 1
 * request/s against a Microsoft cloud, once TQ_ENTRA_GRAPH_ALLOW_FAST_PACE), `targets[].consistencyTimeout`
 * (once a 180 s constant), `pipeline.reconcileWindow` and `pipeline.reconcileMaxWait`: defaults,
 * bounds, and errors that name the key.
 */
import { describe, expect, it } from 'vitest';
import { baseTarget, configFrom, configProblems } from '../helpers/config-fixtures.ts';

function load(fn: (d: any) => void = () => undefined) {
  const d: any = { targets: [baseTarget()] };
  fn(d);
  return configFrom(d);
}

function problems(fn: (d: any) => void): string[] {
  return configProblems(() => load(fn));
}

describe('rateLimit.allowAboveMicrosoftLimit', () => {
  it('more than 1 request/s against graph.microsoft.com without the opt-in is refused, naming the key', () => {
    expect(problems((d) => (d.targets[0].rateLimit = { requestsPerSecond: 5 }))).toEqual([
      'targets[0].rateLimit.requestsPerSecond: 5 requests/s against graph.microsoft.com, a Microsoft cloud that allows 1 request per second per tenant ' +
        'for conditional access: set it to 1 (the default), or set rateLimit.allowAboveMicrosoftLimit: true if Microsoft raised your limit',
    ]);
  });

  it('national clouds count as Microsoft clouds', () => {
    const [p] = problems((d) => {
      d.targets[0].cloud = { graphBaseUrl: 'https://graph.microsoft.us', authorityHost: 'https://login.microsoftonline.us' };
      d.targets[0].rateLimit = { requestsPerSecond: 2 };
    });
    expect(p).toMatch(/^targets\[0\]\.rateLimit\.requestsPerSecond: 2 requests\/s against graph\.microsoft\.us.*rateLimit\.allowAboveMicrosoftLimit: true/);
  });

  it('with the opt-in, at 1 request/s, or against another host (the emulator) it is accepted', () => {
    expect(load((d) => (d.targets[0].rateLimit = { requestsPerSecond: 5, allowAboveMicrosoftLimit: true })).targets[0]?.rateLimit).toEqual({
      requestsPerSecond: 5,
      allowAboveMicrosoftLimit: true,
    });
    expect(load((d) => (d.targets[0].rateLimit = { requestsPerSecond: '5', allowAboveMicrosoftLimit: 'true' })).targets[0]?.rateLimit.requestsPerSecond).toBe(5);
    expect(load((d) => (d.targets[0].rateLimit = { requestsPerSecond: 1 })).targets[0]?.rateLimit.allowAboveMicrosoftLimit).toBe(false);
    const emulated = load((d) => {
      d.targets[0].cloud = { graphBaseUrl: 'https://127.0.0.1:8443', authorityHost: 'https://127.0.0.1:8443' };
      d.targets[0].rateLimit = { requestsPerSecond: 50 };
    });
    expect(emulated.targets[0]?.rateLimit.requestsPerSecond).toBe(50);
  });

  it('defaults to 1 request/s without the opt-in', () => {
    expect(load().targets[0]?.rateLimit).toEqual({ requestsPerSecond: 1, allowAboveMicrosoftLimit: false });
  });
});

describe('consistencyTimeout', () => {
  it('defaults to 3m and accepts durations from 10s to 30m', () => {
    expect(load().targets[0]?.consistencyTimeout).toBe(180_000);
    expect(load((d) => (d.targets[0].consistencyTimeout = '10s')).targets[0]?.consistencyTimeout).toBe(10_000);
    expect(load((d) => (d.targets[0].consistencyTimeout = '30m')).targets[0]?.consistencyTimeout).toBe(1_800_000);
  });

  it('refuses durations out of bounds or malformed, by path', () => {
    expect(problems((d) => (d.targets[0].consistencyTimeout = '5s'))).toEqual(['targets[0].consistencyTimeout: expected a duration between 10s and 30m, got "5s"']);
    expect(problems((d) => (d.targets[0].consistencyTimeout = '1h'))).toEqual(['targets[0].consistencyTimeout: expected a duration between 10s and 30m, got "1h"']);
    expect(problems((d) => (d.targets[0].consistencyTimeout = '0s'))).toEqual(['targets[0].consistencyTimeout: expected a duration such as "15m", "1h" or "1d" (a number and one of ms, s, m, h, d), got "0s"']);
  });
});

describe('pipeline.reconcileWindow and reconcileMaxWait', () => {
  it('default to 5s and 1m', () => {
    expect(load().pipeline).toEqual({ reconcileWindow: 5000, reconcileMaxWait: 60_000 });
  });

  it('a window of 0s (or 0) turns debouncing off', () => {
    expect(load((d) => (d.pipeline = { reconcileWindow: '0s' })).pipeline.reconcileWindow).toBe(0);
    expect(load((d) => (d.pipeline = { reconcileWindow: 0 })).pipeline.reconcileWindow).toBe(0);
    expect(load((d) => (d.pipeline = { reconcileWindow: '500ms', reconcileMaxWait: '2s' })).pipeline).toEqual({ reconcileWindow: 500, reconcileMaxWait: 2000 });
  });

  it('refuses a window beyond 5m, a max wait beyond 1h or shorter than the window', () => {
    expect(problems((d) => (d.pipeline = { reconcileWindow: '6m' }))).toEqual(['pipeline.reconcileWindow: expected a duration between 0s and 5m, got "6m"']);
    expect(problems((d) => (d.pipeline = { reconcileMaxWait: '2h' }))).toEqual(['pipeline.reconcileMaxWait: expected a duration between 1s and 1h, got "2h"']);
    expect(problems((d) => (d.pipeline = { reconcileWindow: '30s', reconcileMaxWait: '10s' }))).toEqual([
      'pipeline.reconcileMaxWait: expected at least pipeline.reconcileWindow (30s), got "10s"',
    ]);
    expect(problems((d) => (d.pipeline = { window: '5s' }))).toEqual(['pipeline.window: unknown key']);
  });
});
