import { describe, expect, it } from 'vitest';
import { redactString, redactUrlCredentials } from '../../src/observability/secrets.ts';

describe('redactUrlCredentials', () => {
  it('redacts the password of a URL, or a user name that stands alone (a token), wherever it appears in text', () => {
    expect(redactUrlCredentials('https://admin:s3cret@tq.example.com/api')).toBe('https://admin:[REDACTED]@tq.example.com/api');
    expect(redactUrlCredentials('redis://:pw@127.0.0.1:6379/0')).toBe('redis://:[REDACTED]@127.0.0.1:6379/0');
    expect(redactUrlCredentials('fetch https://ghp_token123@host/x failed; see http://u:p@h')).toBe('fetch https://[REDACTED]@host/x failed; see http://u:[REDACTED]@h');
    expect(redactUrlCredentials('https://tq.example.com/api?email=a@b.c')).toBe('https://tq.example.com/api?email=a@b.c');
    expect(redactUrlCredentials('mail api@example.com')).toBe('mail api@example.com');
  });

  it('is part of redactString, so logs and printed configurations get it', () => {
    expect(redactString('connecting to https://u:pass-word@tq.example.com')).toBe('connecting to https://u:[REDACTED]@tq.example.com');
  });
});
