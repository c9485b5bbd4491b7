// `npm run test:soak -- --minutes N`: the soak test of `npm test` (test/integration/pipeline.soak.test.ts)
// for N cycles of one minute each, printing each process's RSS and the Redis key count and memory
// under the test's prefix once a minute. Needs REDIS_URL (default redis://127.0.0.1:6379).
import { spawn } from 'node:child_process';

const args = process.argv.slice(2);
const i = args.indexOf('--minutes');
const minutes = i >= 0 ? Number(args[i + 1]) : 5;
if (!Number.isInteger(minutes) || minutes < 1 || minutes > 24 * 60) {
  process.stderr.write(`--minutes: expected a whole number of minutes from 1 to 1440, got "${args[i + 1] ?? ''}"\n`);
  process.exit(2);
}
const child = spawn('npx', ['vitest', 'run', 'test/integration/pipeline.soak.test.ts', '--reporter', 'verbose'], {
  stdio: 'inherit',
  env: { ...process.env, SOAK_MINUTES: String(minutes), REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
});
child.on('exit', (code) => process.exit(code ?? 1));
