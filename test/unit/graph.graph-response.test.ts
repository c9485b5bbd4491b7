import { describe, expect, it } from 'vitest';
import { GraphHttpError } from '../../src/graph/errors/graph-http-error.ts';
import { GraphNotFoundError } from '../../src/graph/errors/graph-not-found-error.ts';
import { isRetryable } from '../../workers/job-signals.ts';
import { GraphPermissionError } from '../../src/graph/errors/graph-permission-error.ts';
import { GraphUnauthorizedError } from '../../src/graph/errors/graph-unauthorized-error.ts';
import { GraphValidationError } from '../../src/graph/errors/graph-validation-error.ts';
import { errorForStatus, isReplicationDelay, parseGraphErrorBody } from '../../src/graph/graph-response.ts';

describe('parseGraphErrorBody', () => {
  it('reads code, message, innerError message and request id', () => {
    const body = JSON.stringify({ error: { code: 'BadRequest', message: 'top', innerError: { message: 'inner', 'request-id': 'r1', date: 'd' } } });
    expect(parseGraphErrorBody(body)).toEqual({ graphCode: 'BadRequest', graphMessage: 'top', innerMessage: 'inner', requestId: 'r1' });
  });
  it('tolerates non-JSON and empty bodies', () => {
    expect(parseGraphErrorBody('')).toEqual({});
    expect(parseGraphErrorBody('<html>gateway</html>')).toEqual({ graphMessage: '<html>gateway</html>' });
    expect(parseGraphErrorBody('{"nope":1}')).toEqual({});
  });
});

describe('isReplicationDelay', () => {
  it('matches the 1040 text in either message', () => {
    expect(isReplicationDelay({ graphMessage: '1040: NamedLocation with id 3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b does not exist in the directory.' })).toBe(true);
    expect(isReplicationDelay({ graphMessage: 'x', innerMessage: '1040: NamedLocation with id abc does not exist in the directory.' })).toBe(true);
    expect(isReplicationDelay({ graphMessage: '1007: Incoming ConditionalAccessPolicy object is null' })).toBe(false);
  });
});

describe('errorForStatus', () => {
  const info = { method: 'POST', path: '/identity/conditionalAccess/policies', graphCode: 'C', graphMessage: 'M', innerMessage: 'I' };
  it('maps 400/401/403/404 to typed errors with stable codes', () => {
    expect(errorForStatus({ ...info, status: 400 })).toBeInstanceOf(GraphValidationError);
    expect(errorForStatus({ ...info, status: 400 }).code).toBe('ERR_GRAPH_VALIDATION');
    expect(errorForStatus({ ...info, status: 401 })).toBeInstanceOf(GraphUnauthorizedError);
    expect(errorForStatus({ ...info, status: 403 }).code).toBe('ERR_GRAPH_FORBIDDEN');
    expect(errorForStatus({ ...info, status: 404 })).toBeInstanceOf(GraphNotFoundError);
    expect(errorForStatus({ ...info, status: 409 }).code).toBe('ERR_GRAPH_HTTP');
  });
  it('a 404 on an object the run just listed is retried as a job (re-listed), a 400 is not', () => {
    expect(isRetryable(errorForStatus({ ...info, method: 'PATCH', status: 404 }))).toBe(true);
    expect(isRetryable(errorForStatus({ ...info, status: 400 }))).toBe(false);
  });
  it('messages carry Graph’s code, both messages and the request; 403 names the permissions', () => {
    const e = errorForStatus({ ...info, status: 400 });
    expect(e.message).toBe('Graph POST /identity/conditionalAccess/policies failed with HTTP 400: C: M (I)');
    expect(e.toJSON()).toMatchObject({ code: 'ERR_GRAPH_VALIDATION', status: 400, graphCode: 'C', innerMessage: 'I' });
    const p = errorForStatus({ ...info, status: 403 });
    expect(p).toBeInstanceOf(GraphPermissionError);
    expect(p.message).toContain('Policy.Read.All and Policy.ReadWrite.ConditionalAccess');
    expect(p).toBeInstanceOf(GraphHttpError);
  });
});
