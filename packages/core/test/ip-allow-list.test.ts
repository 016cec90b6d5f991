import { describe, expect, it } from 'vitest';
import { IpAllowList } from '../src/listeners/ip-allow-list.js';

describe('IpAllowList', () => {
  it('matches IPv4 and IPv6 addresses and networks, and IPv4 peers seen as ::ffff:a.b.c.d', () => {
    const list = new IpAllowList('127.0.0.1, ::1, 10.0.0.0/8, fd00::/8');
    expect(list.allows('127.0.0.1')).toBe(true);
    expect(list.allows('::ffff:127.0.0.1')).toBe(true);
    expect(list.allows('::1')).toBe(true);
    expect(list.allows('10.1.2.3')).toBe(true);
    expect(list.allows('fd12:3456::1')).toBe(true);
    expect(list.allows('127.0.0.2')).toBe(false);
    expect(list.allows('::2')).toBe(false);
    expect(list.allows('fe80::1')).toBe(false);
    expect(list.allows(undefined)).toBe(false);
  });

  it("'*' allows every peer", () => {
    expect(new IpAllowList('*').allows('203.0.113.9')).toBe(true);
    expect(new IpAllowList('*').allows('2001:db8::9')).toBe(true);
  });

  it('refuses an entry that is not an address', () => {
    expect(() => new IpAllowList('127.0.0.1, not-an-ip')).toThrow();
    expect(() => new IpAllowList('fe80::zz')).toThrow();
  });
});
