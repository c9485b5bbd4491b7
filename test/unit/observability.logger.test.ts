import { afterEach, describe, expect, it } from 'vitest';
import { captureLogs, getLogger } from '../../src/observability/logger.ts';
import { clearRegisteredSecrets, redactDeep, redactString, registerSecret } from '../../src/observability/secrets.ts';
import { SyncError } from '../../src/errors/sync-error.ts';

afterEach(() => clearRegisteredSecrets());

describe('logger redaction', () => {
  it('never writes a registered secret value, wherever it appears', () => {
    registerSecret('hunter2-very-secret');
    const cap = captureLogs();
    const log = getLogger('test');
    log.info('connecting with hunter2-very-secret inside the message', { nested: { url: 'https://x/?k=hunter2-very-secret' } });
    log.error('failed', { err: new SyncError('ERR_INTERNAL', 'bad secret hunter2-very-secret') });
    cap.stop();
    expect(cap.lines).toHaveLength(2);
    expect(cap.text()).not.toContain('hunter2-very-secret');
    expect(cap.text()).toContain('[REDACTED]');
  });

  it('redacts secret-looking keys and bearer tokens, and tags the component', () => {
    const cap = captureLogs();
    getLogger('graph').warn('request', {
      clientSecret: 'abc123',
      headers: { authorization: 'Bearer eyJhbGciOi.payload.sig' },
      note: 'sent Bearer eyJhbGciOi.payload.sig to server',
      access_token: 'tok-xyz',
      password: 'pw-1',
      tokenType: 'Bearer',
    });
    cap.stop();
    const line = JSON.parse(cap.lines[0] ?? '{}') as Record<string, any>;
    expect(line['component']).toBe('graph');
    expect(line['clientSecret']).toBe('[REDACTED]');
    expect(line['headers'].authorization).toBe('[REDACTED]');
    expect(line['access_token']).toBe('[REDACTED]');
    expect(line['password']).toBe('[REDACTED]');
    expect(line['tokenType']).toBe('Bearer');
    expect(line['note']).toBe('sent Bearer [REDACTED] to server');
    expect(cap.text()).not.toMatch(/eyJhbGciOi|abc123|tok-xyz|pw-1/);
  });

  it('redactDeep copies without mutating and survives cycles', () => {
    const obj: Record<string, unknown> = { password: 'p', list: ['Basic dXNlcjpwYXNz'] };
    obj['self'] = obj;
    const out = redactDeep(obj) as Record<string, unknown>;
    expect(out['password']).toBe('[REDACTED]');
    expect(out['list']).toEqual(['Basic [REDACTED]']);
    expect(out['self']).toBe('[Circular]');
    expect(obj['password']).toBe('p');
    expect(redactString('nothing here')).toBe('nothing here');
  });
});
