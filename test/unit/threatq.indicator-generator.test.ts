import { describe, expect, it } from 'vitest';
import { isIP } from 'node:net';
import { generateIndicator } from '../../src/emulators/threatq/indicator-generator.ts';

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
