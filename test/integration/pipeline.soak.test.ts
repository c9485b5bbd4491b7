/**
 * Invariant 10, tested as deployed: scheduled syncs under `scheduler --watch` + two workers + the
 * dashboard as separate processes, with file changes, configuration replaced by rename and edited in
 * place, a worker stopped with SIGTERM and one killed with SIGKILL (test/soak/soak-run.ts). About two
 * minutes; `npm run test:soak -- --minutes N` runs N cycles and prints the per-minute figures.
 */
import { describe, expect, it } from 'vitest';
import { runSoak } from '../soak/soak-run.ts';
import { redisUrl } from '../helpers/redis.ts';

const MINUTES = Number(process.env['SOAK_MINUTES'] ?? '1');

describe('soak: scheduled syncs in the deployed process topology', () => {
  it(
    'every scheduled run succeeds or is retried to success, Entra ends at the desired set, every SIGTERM exits 0 promptly',
    async () => {
      const result = await runSoak({ minutes: MINUTES, redisUrl: redisUrl(), log: (l) => process.stdout.write(`[soak] ${l}\n`) });
      expect(result.failedJobs, JSON.stringify(result.failedJobs)).toEqual([]);
      // Both schedules fired many times, and the runs they produced went through.
      const byCollection = new Map<string, number>();
      for (const r of result.scheduledRuns) byCollection.set(`${r.name}/${r.collection ?? ''}`, (byCollection.get(`${r.name}/${r.collection ?? ''}`) ?? 0) + 1);
      expect(byCollection.get('tq/6d4c1f0e2b9a8c7d') ?? 0).toBeGreaterThanOrEqual(2);
      expect(byCollection.get('tq/a1b2c3d4e5f6') ?? 0, 'the schedule added by the configuration change ran').toBeGreaterThanOrEqual(1);
      expect([...byCollection.keys()].some((k) => k.startsWith('list/'))).toBe(true);
      const failedRuns = result.scheduledRuns.filter((r) => r.status === 'failed' || r.status === 'refused');
      expect(failedRuns.map((r) => `${r.id} ${r.status} ${r.error?.message ?? ''}`)).toEqual([]);
      expect(result.scheduledRuns.filter((r) => r.status === 'succeeded').length).toBeGreaterThanOrEqual(8);
      expect(result.entra).toEqual(result.expected);
      for (const s of result.stops.filter((x) => x.signal === 'SIGTERM')) {
        expect(s.code, `${s.process} exit code after SIGTERM`).toBe(0);
        expect(s.ms, `${s.process} exit time after SIGTERM`).toBeLessThan(6000);
      }
      expect(result.schedulerOutput).toMatch(/schedulers: \d+ upserted .*removed \(collect:tq:/);
    },
    (MINUTES * 60 + 300) * 1000,
  );
});
