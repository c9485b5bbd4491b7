import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The chaos suite (test/chaos/) runs here in its quick profile; `npm run test:chaos`
    // (vitest.chaos.config.ts) runs it in its full profile. Profiles: test/helpers/chaos-profile.ts.
    // graph-consistency has no quick form (4 runs of minutes each at 5 s replication); its rules are
    // exercised here by test/integration/reconcile.consistency.test.ts, so it runs in the full profile only.
    exclude: ['node_modules/**', 'test/chaos/graph-consistency.test.ts'],
    provide: { chaosProfile: 'quick' },
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    reporters: ['default'],
  },
});
