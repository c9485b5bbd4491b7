import { describe, expect, it } from 'vitest';
import { serverMessage } from '../../src/threatq/server-message.ts';
import { normaliseApiRoot } from '../../src/threatq/threatq-transport.ts';

describe('serverMessage', () => {
  it('reads the ThreatQ and OAuth error shapes', () => {
    expect(serverMessage('{"errors":["First Error",["Second error - part 1","Second error - part 2"]]}')).toBe('First Error; Second error - part 1; Second error - part 2');
    expect(serverMessage('{"data":{"errors":{"name":["The name has already been taken."]}}}')).toBe('name: The name has already been taken.');
    expect(serverMessage('{"error":"invalid_grant","error_description":"The user credentials were incorrect.","message":"x"}')).toBe('The user credentials were incorrect.');
  });
  it('gives undefined for non-JSON and truncates long text', () => {
    expect(serverMessage('<html>login</html>')).toBeUndefined();
    expect(serverMessage('{"ok":true}')).toBeUndefined();
    expect(serverMessage(JSON.stringify({ errors: ['x'.repeat(500)] }))?.length).toBe(200);
  });
});

describe('normaliseApiRoot', () => {
  it('accepts the URL with or without /api and trailing slashes', () => {
    expect(normaliseApiRoot('tq', 'https://tq.example.com')).toBe('https://tq.example.com/api');
    expect(normaliseApiRoot('tq', 'https://tq.example.com/api/')).toBe('https://tq.example.com/api');
    expect(normaliseApiRoot('tq', 'https://tq.example.com/threatq/API')).toBe('https://tq.example.com/threatq/api');
  });
  it('rejects non-URLs and other schemes with the instance named', () => {
    expect(() => normaliseApiRoot('tq-east', 'tq.example.com')).toThrow(/tq-east: url "tq.example.com" is not an absolute URL/);
    expect(() => normaliseApiRoot('tq-east', 'ftp://tq.example.com')).toThrow(/must use https/);
  });
});
