import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['node_modules/**'],
    // The chaos suite (test/chaos/) runs here in its quick profile; `npm run test:chaos`
    // (vitest.chaos.config.ts) runs it in its full profile. Profiles: test/helpers/chaos-profile.ts.
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
