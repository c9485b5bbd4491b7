import { afterEach, describe, expect, it } from 'vitest';
import { deleteByPrefix, testRedis, type TestRedis } from '../helpers/redis.ts';

let r: TestRedis | undefined;
afterEach(async () => {
  await r?.cleanup();
  r = undefined;
});

describe('test harness', () => {
  it('gives each test a real Redis with its own prefix and cleans it up', async () => {
    r = testRedis('harness');
    const other = testRedis('harness');
    expect(other.prefix).not.toBe(r.prefix);
    await r.client.set(`${r.prefix}:a`, '1');
    await r.client.set(`${r.prefix}:b`, '2');
    await other.client.set(`${other.prefix}:a`, 'x');
    expect(await deleteByPrefix(r.client, r.prefix)).toBe(2);
    expect(await other.client.get(`${other.prefix}:a`)).toBe('x');
    await other.cleanup();
    expect(await r.client.exists(`${other.prefix}:a`)).toBe(0);
  });
});
