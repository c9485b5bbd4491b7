/**
 * The full chaos suite (`npm run test:chaos`): test/chaos/** in its full profile
 * (test/helpers/chaos-profile.ts; `npm test` runs the same files in the quick profile), the same
 * real-Redis global setup as `npm test`. Scenario files run two at a time (one per core); each takes
 * a few minutes. One scenario: `npx vitest run --config vitest.chaos.config.ts test/chaos/<file>`.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/chaos/**/*.test.ts'],
    provide: { chaosProfile: 'full' },
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    reporters: ['default'],
  },
});
