/**
 * The bad-input corpus through the whole pipeline: a ThreatQ emulator collection holding every corpus
 * value (Active), a real worker and `tq-entra sync --wait` to the Graph emulator. The run completes;
 * Entra holds exactly the accepted ranges, merged; `tq-entra report --target corp` lists every
 * rejection reason with its count, and the warning counts.
 * Empty and whitespace-only values are rejected as EMPTY like any other bad value (finding F2 of
 * docs/RELIABILITY.md, fixed): every kept indicator is either accepted or rejected with a reason.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mergeCidrs } from '../../src/ranges/index.ts';
import { startPipelineEnv, type PipelineEnv } from '../helpers/pipeline-env.ts';
import { rangesInEntra } from '../helpers/expected-ranges.ts';
import { loadCorpus } from '../fixtures/corpus/corpus.ts';

const COLLECTION = '6d4c1f0e2b9a8c7d';
const corpus = loadCorpus();
let env: PipelineEnv | undefined;
afterAll(async () => env?.close());

function expectedCounts(): { rejects: Map<string, number>; warnings: Map<string, number>; accepted: string[]; acceptedValues: number } {
  const rejects = new Map<string, number>();
  const warnings = new Map<string, number>();
  const accepted: string[] = [];
  let acceptedValues = 0;
  for (const e of corpus) {
    if ('reject' in e.expect) rejects.set(e.expect.reject, (rejects.get(e.expect.reject) ?? 0) + 1);
    else {
      acceptedValues++;
      accepted.push(...e.expect.accept);
      for (const w of e.expect.warnings) warnings.set(w, (warnings.get(w) ?? 0) + 1);
    }
  }
  return { rejects, warnings, accepted: mergeCidrs(accepted), acceptedValues };
}

describe('bad-input corpus through a real sync', () => {
  it('completes, blocks exactly the accepted ranges and reports every rejection reason with its count', async () => {
    env = await startPipelineEnv({
      threatq: [
        {
          name: 'tq',
          options: { seed: { indicators: corpus.map((e) => ({ value: e.value, type: e.type, status: 'Active' })) } },
          collections: [{ id: COLLECTION }],
        },
      ],
    });
    const tq = env.threatq['tq'];
    expect([...(tq?.indicators(COLLECTION) ?? [])].map((r) => r.value)).toEqual(corpus.map((e) => e.value));
    await env.startWorker();
    const sync = await env.cli(['sync', '--target', 'corp', '--wait']);
    expect(sync.code, sync.stdout + sync.stderr).toBe(0);

    const want = expectedCounts();
    expect(rangesInEntra(env.graph, 'TQ Blocked').all).toEqual(want.accepted);

    const report = await env.cli(['report', '--target', 'corp']);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toMatch(/collect tq \/ 6d4c1f0e2b9a8c7d\s+run collect-\d{8}T\d{6}Z-[0-9a-f]{8}\s+succeeded/);
    const rejected = [...want.rejects.values()].reduce((a, b) => a + b, 0);
    expect(report.stdout).toContain(`seen=${corpus.length} kept=${corpus.length} accepted=${want.acceptedValues} rejected=${rejected} `);
    expect(want.rejects.get('EMPTY')).toBeGreaterThan(0);
    expect(report.stdout).not.toContain('filtered out');
    for (const [code, n] of want.rejects) {
      expect(report.stdout, `${code} ×${n}`).toMatch(new RegExp(`^\\s+${code}\\s+${n}(\\s|$)`, 'm'));
    }
    const reasonLines = report.stdout.split('\n').filter((l) => /^\s{4}[A-Z_]+\s+\d+/.test(l));
    expect(reasonLines).toHaveLength(want.rejects.size);
    const warningLine = /warnings: (.*)/.exec(report.stdout)?.[1] ?? '';
    const shown = Object.fromEntries(warningLine.split(' ').filter(Boolean).map((kv) => kv.split('=') as [string, string]));
    expect(shown).toEqual(Object.fromEntries([...want.warnings].map(([k, v]) => [k, String(v)])));
  });
});
