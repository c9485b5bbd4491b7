/** Basic-auth parsing and the constant-time credential check. */
import { describe, expect, it } from 'vitest';
import { basicAuthMatches, parseBasicAuth } from '../../src/dashboard/basic-auth.ts';

const header = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
const creds = { username: 'ops', password: 'pa:ss wörd' };

describe('basicAuthMatches', () => {
  it('accepts exactly the configured user and password (a colon in the password is kept)', () => {
    expect(basicAuthMatches(header('ops', 'pa:ss wörd'), creds)).toBe(true);
    expect(parseBasicAuth(header('ops', 'pa:ss wörd'))).toEqual(creds);
  });

  it('refuses a wrong user, a wrong or longer or shorter password, and missing or malformed headers', () => {
    for (const h of [
      header('ops', 'pa:ss w'),
      header('ops', 'pa:ss wörd!'),
      header('Ops', 'pa:ss wörd'),
      header('', ''),
      'Bearer abc',
      'Basic !!!',
      `Basic ${Buffer.from('no-colon').toString('base64')}`,
      '',
      undefined,
    ]) {
      expect(basicAuthMatches(h, creds), String(h)).toBe(false);
    }
  });

  it('refuses an empty header even against empty credentials', () => {
    expect(basicAuthMatches(undefined, { username: '', password: '' })).toBe(false);
  });
});
