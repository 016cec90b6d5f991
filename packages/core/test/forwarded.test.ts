import { describe, expect, it } from 'vitest';
import { ForwardedHeaders } from '../src/http/forwarded.js';

const defaults = {
  forwarded_allow_ips: '127.0.0.1,10.0.0.0/8',
  secure_scheme_headers: { 'X-FORWARDED-PROTOCOL': 'ssl', 'X-FORWARDED-PROTO': 'https', 'X-FORWARDED-SSL': 'on' },
  forwarder_headers: 'X-FORWARDED-FOR',
};

const from = (headers: Record<string, string>) => (name: string) => headers[name];

describe('ForwardedHeaders, the pure part (used by uws)', () => {
  const forwarded = new ForwardedHeaders(defaults);

  it('names the headers it reads, lower-case, and trusts only forwarded_allow_ips', () => {
    expect([...forwarded.headerNames].sort()).toEqual(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-protocol', 'x-forwarded-ssl']);
    expect(forwarded.trusts('127.0.0.1')).toBe(true);
    expect(forwarded.trusts('10.2.3.4')).toBe(true);
    expect(forwarded.trusts('192.0.2.1')).toBe(false);
    expect(forwarded.trusts(undefined)).toBe(false);
  });

  it('reads the scheme and the last forwarded address', () => {
    expect(forwarded.read(from({ 'x-forwarded-proto': 'HTTPS', 'x-forwarded-for': '198.51.100.1, [2001:db8::1]:443' }))).toEqual({ secure: true, client: '2001:db8::1' });
    expect(forwarded.read(from({ 'x-forwarded-ssl': 'off', 'x-forwarded-for': '203.0.113.7:5000' }))).toEqual({ secure: false, client: '203.0.113.7' });
    expect(forwarded.read(from({ 'x-forwarded-for': 'not-an-ip' }))).toEqual({ secure: null, client: null });
    expect(forwarded.read(from({}))).toEqual({ secure: null, client: null });
  });

  it('rejects scheme headers that disagree', () => {
    expect(forwarded.read(from({ 'x-forwarded-proto': 'https', 'x-forwarded-ssl': 'off' }))).toEqual({ status: 400, reason: 'Contradictory scheme headers' });
  });
});
