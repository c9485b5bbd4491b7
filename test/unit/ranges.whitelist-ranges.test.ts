import { describe, expect, it } from 'vitest';
import { whitelistRanges } from '../../src/ranges/index.ts';

describe('whitelistRanges', () => {
  it('merges the values into canonical CIDRs, whatever their prefix down to /8, reserved space included', () => {
    const r = whitelistRanges(['198.51.100.7', ' 198.51.100.6 ', '10.0.0.0/8', '2001:db8::1', '::ffff:203.0.113.9', '192.168.0.0/16', '11.0.0.0/8']);
    expect(r.cidrs).toEqual(['10.0.0.0/7', '192.168.0.0/16', '198.51.100.6/31', '203.0.113.9/32', '2001:db8::1/128']);
    expect(r.accepted).toBe(7);
    expect(r.rejected).toEqual({});
  });

  it('refuses entries broader than /8 (0.0.0.0/0 would unblock everything) and malformed ones, by reason', () => {
    const r = whitelistRanges(['0.0.0.0/0', '::/0', '4.0.0.0/6', '999.1.1.1', 'not-an-ip', '8.8.8.8']);
    expect(r.cidrs).toEqual(['8.8.8.8/32']);
    expect(r.accepted).toBe(1);
    expect(r.rejected).toEqual({ PREFIX_TOO_BROAD: 3, OCTET_OUT_OF_RANGE: 1, NOT_AN_ADDRESS: 1 });
  });

  it('an empty whitelist is empty', () => {
    expect(whitelistRanges([])).toEqual({ cidrs: [], accepted: 0, rejected: {} });
  });
});
