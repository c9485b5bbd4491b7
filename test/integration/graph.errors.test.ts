/**
 * Graph failures over real HTTPS with the real credential: validation errors fail once with
 * Microsoft's message, 403 explains the permissions, 404, auth failures, transient faults retried
 * (503, 504, reset, slow response), POST retried only after a listing by name, replication delay
 * (1040) retried until it clears, and no secret or token in logs or errors.
 */
import { describe, expect, it } from 'vitest';
import { P7_INNER } from '../../src/emulators/graph/policy-rules.ts';
import { GraphAuthError } from '../../src/graph/errors/graph-auth-error.ts';
import { GraphNotFoundError } from '../../src/graph/errors/graph-not-found-error.ts';
import { GraphPermissionError } from '../../src/graph/errors/graph-permission-error.ts';
import { GraphUnavailableError } from '../../src/graph/errors/graph-unavailable-error.ts';
import { GraphValidationError } from '../../src/graph/errors/graph-validation-error.ts';
import { captureLogs, rootLogger } from '../../src/observability/logger.ts';
import { READER, WRITER, blockPolicy, emulatorClient, graphLog } from '../fixtures/graph/graph-target.ts';
import { useGraphEmulator } from '../helpers/graph-emulator-suite.ts';

const suite = useGraphEmulator('graph-errors', { unpacedEachTest: true });

const client = (options: Parameters<typeof emulatorClient>[3] = {}) => emulatorClient(suite.emu, suite.r.client, `${suite.r.prefix}:${Math.random()}`, options);

describe('failures that are not retried', () => {
  it('an incompatible clientAppTypes/platforms policy fails once with Microsoft’s message', async () => {
    const c = client();
    const loc = await c.createNamedLocation({ displayName: 'L', ipRanges: ['203.0.113.0/24'], isTrusted: false });
    const body = blockPolicy(loc.id, { clientAppTypes: ['exchangeActiveSync'], platforms: { includePlatforms: ['macOS'], excludePlatforms: [] } });
    const err = await c.createPolicy(body).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphValidationError);
    expect(err).toMatchObject({
      code: 'ERR_GRAPH_VALIDATION',
      status: 400,
      method: 'POST',
      path: '/identity/conditionalAccess/policies',
      graphCode: 'BadRequest',
      graphMessage: 'The server could not process the request because it is malformed or incorrect.',
      innerMessage: P7_INNER,
    });
    expect((err as Error).message).toContain(P7_INNER);
    expect(graphLog(suite.emu).filter((e) => e.method === 'POST' && e.path.endsWith('/policies'))).toHaveLength(1);
  });

  it('empty clientAppTypes surfaces the 1064 text from innerError', async () => {
    const c = client();
    const loc = await c.createNamedLocation({ displayName: 'L', ipRanges: ['203.0.113.0/24'], isTrusted: false });
    const err = (await c.createPolicy(blockPolicy(loc.id, { clientAppTypes: [] })).catch((e: unknown) => e)) as GraphValidationError;
    expect(err.innerMessage).toMatch(/^1064: 'clientAppTypes' condition does not support \[\]/);
  });

  it('an app without write permission gets the 403 explanation, once', async () => {
    const reader = client({ app: READER });
    expect(await reader.listNamedLocations()).toEqual([]);
    const err = await reader.createNamedLocation({ displayName: 'L', ipRanges: ['203.0.113.0/24'], isTrusted: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphPermissionError);
    expect(err).toMatchObject({ code: 'ERR_GRAPH_FORBIDDEN', status: 403, graphCode: 'AccessDenied' });
    expect((err as Error).message).toContain('Policy.Read.All and Policy.ReadWrite.ConditionalAccess');
    expect(graphLog(suite.emu).filter((e) => e.status === 403)).toHaveLength(1);
  });

  it('PATCH of an unknown location is a GraphNotFoundError', async () => {
    const err = await client()
      .updateNamedLocation('0b5e3c1a-9d4f-4e2b-8a7c-6f1e2d3c4b5a', { displayName: 'X', ipRanges: ['203.0.113.0/24'], isTrusted: false })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphNotFoundError);
    expect(err).toMatchObject({ graphCode: 'ResourceNotFound', graphMessage: expect.stringContaining('does not exist in the directory') });
  });

  it('a wrong client secret is a GraphAuthError that does not contain the secret', async () => {
    const secret = 'definitely-wrong-secret-value';
    const err = await client({ clientSecret: secret }).listPolicies().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphAuthError);
    expect((err as Error).message).toContain('AADSTS7000215');
    expect((err as Error).message).not.toContain(secret);
    expect(graphLog(suite.emu)).toHaveLength(0);
  });
});

describe('transient failures', () => {
  it('retries GET through 503, 504 and a connection reset', async () => {
    suite.emu.addFaults([{ method: 'GET', status: 503 }, { method: 'GET', status: 504 }, { method: 'GET', reset: true }]);
    const c = client();
    expect(await c.listPolicies()).toEqual([]);
    expect(graphLog(suite.emu).map((e) => e.status)).toEqual([503, 504, 0, 200]);
  });

  it('a slow response times out and is retried', async () => {
    suite.emu.addFaults([{ method: 'GET', delayMs: 2500 }]);
    const c = client({ timeoutMs: 500 });
    const started = Date.now();
    expect(await c.listNamedLocations()).toEqual([]);
    expect(Date.now() - started).toBeLessThan(2400); // did not wait for the slow answer
    expect(c.stats.byMethodStatus).toMatchObject({ 'GET ERR': 1, 'GET 200': 1 });
    // The slow request is logged when the emulator finishes it.
    const deadline = Date.now() + 5000;
    while (!graphLog(suite.emu).some((e) => e.fault === 'delay 2500ms') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(graphLog(suite.emu).map((e) => e.fault ?? '')).toContain('delay 2500ms');
  });

  it('gives up with GraphUnavailableError after the last attempt', async () => {
    suite.emu.addFaults([{ method: 'GET', status: 503, times: 10 }]);
    const err = await client({ retryPolicy: { baseDelayMs: 20, minDelayMs: 10, maxDelayMs: 40, maxAttempts: 3 } })
      .listPolicies()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphUnavailableError);
    expect(err).toMatchObject({ code: 'ERR_GRAPH_UNAVAILABLE', status: 503, graphCode: 'serviceNotAvailable', attempts: 3 });
  });

  it('retries a POST only after several listings by name over the replication window show it did not happen', async () => {
    suite.emu.addFaults([{ method: 'POST', status: 503 }]);
    const loc = await client({ createLookup: { reads: 4, spanMs: 300 } }).createNamedLocation({ displayName: 'Once', ipRanges: ['203.0.113.0/24'], isTrusted: false });
    // A create that has not replicated is invisible to the first reads: four lookups before the POST is sent again.
    expect(graphLog(suite.emu).map((e) => `${e.method} ${e.status}`)).toEqual(['POST 503', 'GET 200', 'GET 200', 'GET 200', 'GET 200', 'POST 201']);
    expect(suite.emu.state().namedLocations.map((l) => l.id)).toEqual([loc.id]);
  });

  it('a POST that happened is not repeated: the listing finds it', async () => {
    const c = client();
    // The first POST is answered 503 only after another writer created the same name: the listing finds it.
    suite.emu.addFaults([{ method: 'POST', status: 503 }]);
    suite.emu.seed({ namedLocations: [{ displayName: 'Raced', ipRanges: [{ '@odata.type': '#microsoft.graph.iPv4CidrRange', cidrAddress: '203.0.113.0/24' }] }] });
    const loc = await c.createNamedLocation({ displayName: 'Raced', ipRanges: ['203.0.113.0/24'], isTrusted: false });
    // The POST failed ambiguously; a header listing finds the name, a GET reads the object: no second POST.
    expect(graphLog(suite.emu).map((e) => `${e.method} ${e.status}`)).toEqual(['POST 503', 'GET 200', 'GET 200']);
    expect(graphLog(suite.emu)[1]?.path).toContain('$select=');
    expect(suite.emu.state().namedLocations).toHaveLength(1);
    expect(loc.displayName).toBe('Raced');
  });
});

describe('replication delay', () => {
  it('a policy referring to a location created 2 s earlier completes without a failure', async () => {
    suite.emu.configure({ replicationDelayMs: 2000 });
    const c = client({ replicationPolicy: { baseDelayMs: 400, minDelayMs: 300, maxDelayMs: 1000 } });
    const started = Date.now();
    const loc = await c.createNamedLocation({ displayName: 'Fresh', ipRanges: ['203.0.113.0/24'], isTrusted: false });
    expect(await c.getNamedLocation(loc.id)).toBeNull(); // not replicated yet
    const policy = await c.createPolicy(blockPolicy(loc.id));
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(policy.conditions.locations?.includeLocations).toEqual([loc.id]);
    const posts = graphLog(suite.emu).filter((e) => e.method === 'POST' && e.path.endsWith('/policies'));
    expect(posts.at(-1)?.status).toBe(201);
    expect(posts.slice(0, -1).every((e) => e.status === 400)).toBe(true);
    expect(posts.length).toBeGreaterThan(1);
    // Reads see changes only after the delay too.
    await c.updateNamedLocation(loc.id, { displayName: 'Fresh', ipRanges: ['198.51.100.0/24'], isTrusted: false });
    expect((await c.getNamedLocation(loc.id))?.ipRanges).toEqual(['203.0.113.0/24']);
  });
});

describe('secrets', () => {
  it('neither the client secret nor the token appears in logs or errors', async () => {
    const level = rootLogger.level;
    rootLogger.level = 'debug';
    const logs = captureLogs();
    try {
      suite.emu.addFaults([{ method: 'GET', status: 503 }, { method: 'POST', status: 429 }]);
      const c = client();
      await c.listNamedLocations();
      await c.createNamedLocation({ displayName: 'S', ipRanges: ['203.0.113.0/24'], isTrusted: false });
      const err = await client({ app: READER }).createNamedLocation({ displayName: 'T', ipRanges: ['203.0.113.0/24'], isTrusted: false }).catch((e: unknown) => e);
      const text = `${logs.text()}\n${JSON.stringify(err)}\n${(err as Error).message}`;
      expect(logs.lines.length).toBeGreaterThan(3);
      expect(text).not.toContain(WRITER.clientSecret);
      expect(text).not.toContain(READER.clientSecret);
      // Every emulator token starts with this header ({"typ":"JWT","alg":"none"}).
      expect(text).not.toContain(Buffer.from(JSON.stringify({ typ: 'JWT', alg: 'none' })).toString('base64url'));
      expect(text).not.toMatch(/Bearer\s+ey/);
    } finally {
      logs.stop();
      rootLogger.level = level;
    }
  });
});
