/**
 * Configuration drift: a worker started on an older configuration never silently does something else.
 * A job names what it needs; a worker that does not know it fails the job with a stable code that
 * `sync --wait` prints, and a worker whose configuration differs from the job's warns once.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { startPipelineEnv, type PipelineEnv } from '../helpers/pipeline-env.ts';
import { runCli } from '../helpers/run-cli.ts';

let env: PipelineEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

describe('configuration drift between producers and workers', () => {
  it('a job for a source the worker does not know fails with ERR_UNKNOWN_SOURCE, printed by sync --wait; the worker warns once', async () => {
    env = await startPipelineEnv({ files: [{ name: 'list', lines: ['45.10.0.7'] }] });
    const worker = await env.startWorker();
    // The operator adds a source and a target's worth of change, but does not restart the worker.
    const doc = parse(readFileSync(env.configPath, 'utf8')) as { sources: Record<string, unknown>[] };
    const extraPath = join(env.dir, 'extra.txt');
    writeFileSync(extraPath, '46.1.2.3\n');
    doc.sources.push({ name: 'extra', kind: 'file', path: extraPath, targets: ['corp'] });
    const newer = join(env.dir, 'newer.yaml');
    writeFileSync(newer, stringify(doc));
    const run = (args: string[]) => runCli([...args, '--config', newer], { env: { REDIS_URL: env?.redis.url }, timeoutMs: 60_000 });

    const unknown = await run(['sync', '--source', 'extra', '--wait', '--timeout', '45s']);
    expect(unknown.code, unknown.stdout + unknown.stderr).toBe(1);
    expect(unknown.stdout).toMatch(/FAILED collect \S+: ERR_UNKNOWN_SOURCE: no source named "extra"/);

    const known = await run(['sync', '--source', 'list', '--wait', '--timeout', '45s']);
    expect(known.code, known.stdout + known.stderr + worker.output().slice(-3000)).toBe(0);
    const warnings = worker.output().split('\n').filter((l) => l.includes('configuration drift'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/"jobConfig":"[0-9a-f]{12}"/);
    expect(warnings[0]).toMatch(/"workerConfig":"[0-9a-f]{12}"/);
  });
});
