/**
 * Graph requests trust exactly the target's CA bundle (`tls.caFile`: system roots plus the file), with
 * one secure context per bundle shared by every client of the process (graph-request.ts): a client
 * whose bundle lacks the emulator's certificate is refused (nothing sent), while a client of the same
 * process with the right bundle, and one with `tls.verify: false`, get through.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGraphEmulator, type GraphEmulator } from '../../src/emulators/graph/graph-emulator.ts';
import { GraphUnavailableError } from '../../src/graph/errors/graph-unavailable-error.ts';
import { createGraphClient } from '../../src/graph/graph-client.ts';
import { createGraphCredential } from '../../src/graph/graph-credential.ts';
import { emulatorTarget } from '../fixtures/graph/graph-target.ts';
import { testRedis, type TestRedis } from '../helpers/redis.ts';

let emu: GraphEmulator;
let other: GraphEmulator;
let r: TestRedis;

beforeAll(async () => {
  [emu, other] = await Promise.all([startGraphEmulator({ throttle: { requestsPerSecond: 0 } }), startGraphEmulator({ throttle: { requestsPerSecond: 0 } })]);
  r = testRedis('graph-tls');
});
afterAll(async () => {
  await Promise.all([emu.close(), other.close()]);
  await r.cleanup();
});

describe('Graph TLS trust', () => {
  it("refuses a Graph server outside the target's CA bundle, and trusts the right bundle in the same process", async () => {
    const target = emulatorTarget(emu);
    // The token comes from the right emulator with the right CA; only the Graph requests differ below.
    const credential = createGraphCredential(target);
    const client = (caFile: string, verify = true) =>
      createGraphClient({ ...target, tls: { ...target.tls, caFile, verify } }, { redis: r.client, prefix: r.prefix, credential, retryPolicy: { maxAttempts: 1 } });

    const wrong = await client(other.caFile).listPolicies().catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(GraphUnavailableError);
    expect((wrong as Error).message).toContain('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(emu.requests({ kind: 'graph' })).toEqual([]);

    expect(await client(emu.caFile).listPolicies()).toEqual([]);
    expect(await client(other.caFile, false).listPolicies()).toEqual([]);
    // Again with the wrong bundle after the right one was used: still refused (contexts are per bundle).
    expect(await client(other.caFile).listPolicies().catch((e: unknown) => e)).toBeInstanceOf(GraphUnavailableError);
    expect(emu.requests({ kind: 'graph' })).toHaveLength(2);
  });
});
