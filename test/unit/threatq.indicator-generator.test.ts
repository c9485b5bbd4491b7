import { describe, expect, it } from 'vitest';
import { isIP } from 'node:net';
import { generateIndicator, parseDistribution, type GeneratedIndicator } from '../../src/emulators/threatq/indicator-generator.ts';
import { GENERATOR_DISTRIBUTIONS } from '../../src/emulators/threatq/emulator-seed.ts';
import { DEFAULT_RANGE_OPTIONS, mergeCidrs, parseIndicator, type IndicatorType } from '../../src/ranges/index.ts';

describe('generateIndicator', () => {
  const rows = Array.from({ length: 20_000 }, (_, i) => generateIndicator(1, i));

  it('is deterministic per (seed, index) and differs between seeds', () => {
    expect(generateIndicator(1, 1234)).toEqual(rows[1234]);
    expect(generateIndicator(2, 1234)).not.toEqual(rows[1234]);
  });

  it('has a realistic mix of types and statuses', () => {
    const count = (f: (r: (typeof rows)[number]) => boolean) => rows.filter(f).length / rows.length;
    expect(count((r) => r.type === 'IP Address')).toBeGreaterThan(0.4);
    expect(count((r) => r.type === 'IPv6 Address')).toBeGreaterThan(0.08);
    expect(count((r) => r.type === 'CIDR Block')).toBeGreaterThan(0.08);
    for (const t of ['FQDN', 'URL', 'MD5']) expect(count((r) => r.type === t)).toBeGreaterThan(0.05);
    expect(count((r) => r.status === 'Active')).toBeGreaterThan(0.7);
    for (const s of ['Expired', 'Whitelisted', 'Review', 'Indirect']) expect(count((r) => r.status === s)).toBeGreaterThan(0.02);
    expect(count((r) => r.score === null)).toBeGreaterThan(0.02);
  });

  it('includes malformed and reserved network values', () => {
    const network = rows.filter((r) => ['IP Address', 'IPv6 Address'].includes(r.type));
    expect(network.some((r) => isIP(r.value) === 0)).toBe(true);
    expect(rows.some((r) => r.value === '10.1.2.3' || r.value === '192.168.1.10')).toBe(true);
    expect(rows.some((r) => r.value === '10.0.0.1/33')).toBe(true);
  });

  it('gives unique public IPv4 values and non-decreasing updated_at', () => {
    const v4 = rows.filter((r) => r.type === 'IP Address' && isIP(r.value) === 4 && !/^(10|127|192|224|169|100)\./.test(r.value));
    expect(new Set(v4.map((r) => r.value)).size).toBe(v4.length);
    const decreasing = rows.findIndex((r, i) => i > 0 && r.updated < (rows[i - 1]?.updated ?? 0));
    expect(decreasing).toBe(-1);
  });
});

describe('generateIndicator, sparse distribution (a full target: nothing merges)', () => {
  const N = 20_000;
  const rows = Array.from({ length: N }, (_, i) => generateIndicator(7, i, 'sparse'));
  const clustered = Array.from({ length: N }, (_, i) => generateIndicator(7, i));
  const network = ['IP Address', 'IPv6 Address', 'CIDR Block'];

  /** Accepted CIDRs of the Active network rows (as ingest keeps them), and the rejected values. */
  function accepted(list: readonly GeneratedIndicator[]): { cidrs: string[]; rejected: string[] } {
    const cidrs: string[] = [];
    const rejected: string[] = [];
    for (const r of list) {
      if (r.status !== 'Active' || !network.includes(r.type)) continue;
      const p = parseIndicator(r.value, r.type as IndicatorType, DEFAULT_RANGE_OPTIONS);
      if (p.ok) cidrs.push(...p.cidrs);
      else rejected.push(r.value);
    }
    return { cidrs, rejected };
  }

  it('is deterministic per (seed, index) and keeps the clustered rows\' statuses, scores and times', () => {
    expect(generateIndicator(7, 1234, 'sparse')).toEqual(rows[1234]);
    expect(generateIndicator(8, 1234, 'sparse')).not.toEqual(rows[1234]);
    const strip = ({ type: _t, value: _v, ...rest }: GeneratedIndicator) => rest;
    expect(rows.map(strip)).toEqual(clustered.map(strip));
  });

  it('gives about 38 % accepted ranges: 1,000,000 rows fill about 191 of the 195 locations of 2000', () => {
    const share = (t: string) => rows.filter((r) => r.type === t).length / N;
    expect(share('IP Address')).toBeGreaterThan(0.37);
    expect(share('IPv6 Address')).toBeGreaterThan(0.07);
    expect(share('CIDR Block')).toBeGreaterThan(0.045);
    const { cidrs } = accepted(rows);
    expect(cidrs.length / N).toBeGreaterThan(0.375);
    expect(cidrs.length / N).toBeLessThan(0.39);
  });

  it('merges nothing: every accepted value is its own range, only the fixed malformed and reserved values are refused', () => {
    const { cidrs, rejected } = accepted(rows);
    expect(mergeCidrs(cidrs)).toHaveLength(cidrs.length);
    expect(new Set(rejected).size).toBeLessThanOrEqual(19);
    expect(cidrs.length).toBeGreaterThan(0.38 * N * 0.99);
    // Clustered rows merge (more so at scale: 1,000,000 rows give about 103,000 ranges): the contrast.
    const c = accepted(clustered).cidrs;
    expect(mergeCidrs(c).length).toBeLessThan(0.95 * c.length);
  });

  it('stays unique and never adjacent near the end of its 5,767,168-row range', () => {
    const far = Array.from({ length: N }, (_, k) => generateIndicator(7, 5_767_168 - 1 - k * 37, 'sparse'));
    const { cidrs } = accepted([...rows, ...far]);
    expect(mergeCidrs(cidrs)).toHaveLength(cidrs.length);
  });
});

describe('parseDistribution', () => {
  it('accepts the two names and refuses others, naming the choices', () => {
    expect(GENERATOR_DISTRIBUTIONS.map((d) => parseDistribution(d))).toEqual(['clustered', 'sparse']);
    expect(() => parseDistribution('Sparse', '--generator-distribution')).toThrow('--generator-distribution must be one of clustered, sparse (got "Sparse")');
    expect(() => parseDistribution(undefined)).toThrow('generate.distribution must be one of clustered, sparse (got "undefined")');
  });
});
