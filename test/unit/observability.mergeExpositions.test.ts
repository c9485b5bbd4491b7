/** Prometheus text: formatting of families and merging of expositions that repeat a family. */
import { describe, expect, it } from 'vitest';
import { escapeLabelValue, formatFamily, mergeExpositions } from '../../src/observability/prom-text.ts';
import { durationBucket, decodeField, encodeField } from '../../src/observability/metrics-keys.ts';

describe('mergeExpositions', () => {
  it('declares each family once and keeps every sample, in order', () => {
    const q = (name: string, n: number) =>
      [
        '# HELP bullmq_job_count Number of jobs in the queue by state',
        '# TYPE bullmq_job_count gauge',
        `bullmq_job_count{queue="${name}", state="waiting"} ${n}`,
        '# HELP bullmq_job_completed_total Total number of completed jobs',
        '# TYPE bullmq_job_completed_total counter',
        `bullmq_job_completed_total{queue="${name}"} ${n * 10}`,
      ].join('\n');
    const out = mergeExpositions([q('a', 1), q('b', 2)]);
    expect(out).toBe(
      [
        '# HELP bullmq_job_count Number of jobs in the queue by state',
        '# TYPE bullmq_job_count gauge',
        'bullmq_job_count{queue="a", state="waiting"} 1',
        'bullmq_job_count{queue="b", state="waiting"} 2',
        '# HELP bullmq_job_completed_total Total number of completed jobs',
        '# TYPE bullmq_job_completed_total counter',
        'bullmq_job_completed_total{queue="a"} 10',
        'bullmq_job_completed_total{queue="b"} 20',
        '',
      ].join('\n'),
    );
  });

  it('keeps histogram samples (_bucket, _sum, _count) with their family', () => {
    const h = formatFamily({
      name: 'd_seconds',
      type: 'histogram',
      help: 'h',
      samples: [
        { suffix: '_bucket', labels: { le: '1' }, value: 1 },
        { suffix: '_bucket', labels: { le: '+Inf' }, value: 2 },
        { suffix: '_sum', labels: {}, value: 3.5 },
        { suffix: '_count', labels: {}, value: 2 },
      ],
    });
    const out = mergeExpositions([h, '# TYPE other gauge\nother 1']);
    expect(out.split('\n').slice(0, 6)).toEqual(['# HELP d_seconds h', '# TYPE d_seconds histogram', 'd_seconds_bucket{le="1"} 1', 'd_seconds_bucket{le="+Inf"} 2', 'd_seconds_sum 3.5', 'd_seconds_count 2']);
  });
});

describe('formatFamily', () => {
  it('escapes label values and help text', () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    const text = formatFamily({ name: 'x_total', type: 'counter', help: 'line\nbreak', samples: [{ labels: { l: 'q"' }, value: Infinity }] });
    expect(text).toBe('# HELP x_total line\\nbreak\n# TYPE x_total counter\nx_total{l="q\\""} +Inf');
  });
});

describe('metric key helpers', () => {
  it('puts a duration in the smallest bucket that holds it', () => {
    expect(durationBucket(0)).toBe('0.5');
    expect(durationBucket(0.5)).toBe('0.5');
    expect(durationBucket(0.51)).toBe('1');
    expect(durationBucket(3600)).toBe('3600');
    expect(durationBucket(3601)).toBe('+Inf');
  });

  it('round-trips label values through hash fields and rejects foreign fields', () => {
    const parts = ['src:with:colons', 'c "1"', 'rejected', ''];
    expect(decodeField(encodeField(parts), 4)).toEqual(parts);
    expect(decodeField(encodeField(parts), 3)).toBeUndefined();
    expect(decodeField('not json', 1)).toBeUndefined();
    expect(decodeField('[1,2]', 2)).toBeUndefined();
  });
});
