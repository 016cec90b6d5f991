import { describe, expect, it } from 'vitest';
import { rejectionFor } from '../src/http/client-error.js';
import { checkRequest, checkTarget, checkTransferEncoding, type ParsedRequest } from '../src/http/request-checks.js';
import { checkTrailers } from '../src/http/trailer-checks.js';

const LIMITS = { limit_request_line: 4094, limit_request_fields: 100, limit_request_field_size: 8190 };

function parsed(overrides: Partial<ParsedRequest>): ParsedRequest {
  return { method: 'GET', url: '/', httpVersionMajor: 1, httpVersionMinor: 1, rawHeaders: ['Host', 'example.com'], ...overrides };
}

describe('checkRequest', () => {
  it('passes a plain request', () => {
    expect(checkRequest(parsed({}), LIMITS)).toBeNull();
  });

  it.each([
    [{ httpVersionMajor: 0, httpVersionMinor: 9 }, 400, 'Invalid HTTP version'],
    [{ httpVersionMajor: 2, httpVersionMinor: 0 }, 505, 'HTTP version not supported'],
    [{ httpVersionMajor: 1, httpVersionMinor: 2 }, 505, 'HTTP version not supported'],
    [{ rawHeaders: [] }, 400, 'Missing Host header'],
    [{ rawHeaders: ['Host', 'a', 'host', 'b'] }, 400, 'Duplicate host header'],
    [{ rawHeaders: ['Host', 'a', 'Transfer-Encoding', 'chunked'], httpVersionMinor: 0 }, 400, 'Transfer-Encoding on HTTP/1.0'],
    [{ rawHeaders: ['Host', 'a', 'Transfer-Encoding', 'gzip, chunked'] }, 501, 'Transfer coding not implemented'],
    [{ url: '/a#b' }, 400, 'Invalid request target'],
    [{ url: '*' }, 400, 'Invalid request target'],
    [{ url: 'http://b/', rawHeaders: ['Host', 'a'] }, 400, 'Host does not match the request target'],
    [{ url: `/${'a'.repeat(5000)}` }, 414, 'Request line too long'],
  ])('refuses %o with %i %s', (overrides, status, reason) => {
    expect(checkRequest(parsed(overrides), LIMITS)).toEqual({ status, reason });
  });

  it('allows HTTP/1.0 without Host, and OPTIONS *', () => {
    expect(checkRequest(parsed({ httpVersionMinor: 0, rawHeaders: [] }), LIMITS)).toBeNull();
    expect(checkRequest(parsed({ method: 'OPTIONS', url: '*' }), LIMITS)).toBeNull();
  });
});

describe('checkTarget', () => {
  it.each([
    ['GET', 'http://Example.com:8080/x', 'example.COM:8080'],
    ['GET', 'https://a/', 'a'],
    ['GET', '/', '[::1]:80'],
    ['GET', '/', ''],
    ['GET', '/p?q=/r?s', 'a.example.'],
    ['OPTIONS', '*', 'a'],
  ])('passes %s %s with Host %j', (method, url, host) => {
    expect(checkTarget(method, url, host, true)).toBeNull();
  });

  it.each([
    ['GET', '/', 'a b'],
    ['GET', '/', 'a/b'],
    ['GET', '/', 'u@a'],
    ['GET', '/', 'a:8o'],
    ['GET', '/', '[::1'],
    ['GET', 'http://u@a/', 'a'],
    ['GET', 'a:80', 'a'],
    ['OPTIONS', '*?x', 'a'],
    ['GET', 'http://a/#f', 'a'],
  ])('refuses %s %s with Host %j', (method, url, host) => {
    expect(checkTarget(method, url, host, true)?.status).toBe(400);
  });

  it('checks every Host, the one it accepted last included (it skips the pattern only for an exact repeat)', () => {
    expect(checkTarget('GET', '/', 'example.com:8000', true)).toBeNull();
    expect(checkTarget('GET', '/', 'example.com:8000', true)).toBeNull();
    expect(checkTarget('GET', '/', 'example.com:8000 x', true)).toEqual({ status: 400, reason: 'Invalid Host header' });
    expect(checkTarget('GET', '/', 'example.com:8000 x', true)).toEqual({ status: 400, reason: 'Invalid Host header' });
    expect(checkTarget('GET', '/', 'example.com:8000', true)).toBeNull();
    expect(checkTarget('GET', 'http://other/', 'example.com:8000', true)?.reason).toBe('Host does not match the request target');
  });

  it('needs Host on HTTP/1.1 only', () => {
    expect(checkTarget('GET', '/', undefined, true)?.status).toBe(400);
    expect(checkTarget('GET', '/', undefined, false)).toBeNull();
  });
});

describe('checkTransferEncoding', () => {
  it.each(['chunked', 'Chunked', ' chunked '])('passes %j', (value) => {
    expect(checkTransferEncoding(value, 1)).toBeNull();
  });

  it.each([
    ['', 400], ['chunked, gzip', 400], ['chunked, chunked', 400], ['gzip', 400], ['chunked,', 400], [',chunked', 400],
    ['gzip, chunked', 501], ['x-custom , chunked', 501],
  ] as const)('answers %j with %i', (value, status) => {
    expect(checkTransferEncoding(value, 1)?.status).toBe(status);
  });

  it('refuses any Transfer-Encoding on HTTP/1.0', () => {
    expect(checkTransferEncoding('chunked', 0)?.status).toBe(400);
  });
});

describe('checkTrailers', () => {
  it('passes trailers that do not change how the request is handled', () => {
    expect(checkTrailers(['X-Sum', 'abc', 'Server-Timing', 'db;dur=5'])).toBeNull();
  });

  it.each(['Host', 'Content-Length', 'transfer-encoding', 'Trailer', 'Content-Type', 'Authorization', 'Cookie'])('refuses %s', (name) => {
    expect(checkTrailers(['X-Ok', '1', name, 'v'])).toEqual({ status: 400, reason: `Forbidden trailer field ${name.toLowerCase()}` });
  });
});

describe('rejectionFor (node:http parser errors)', () => {
  const parserError = (code: string, raw: string) => Object.assign(new Error(code), { code, rawPacket: Buffer.from(raw, 'latin1') });

  it('tells an unknown but well-formed method (501) from garbage (400)', () => {
    expect(rejectionFor(parserError('HPE_INVALID_METHOD', 'FROB / HTTP/1.1\r\n')).status).toBe(501);
    expect(rejectionFor(parserError('HPE_INVALID_METHOD', 'GE@T / HTTP/1.1\r\n')).status).toBe(400);
  });

  it('tells an unsupported version (505) from a malformed one (400)', () => {
    expect(rejectionFor(parserError('HPE_INVALID_VERSION', 'GET / HTTP/1.2\r\nHost: a\r\n')).status).toBe(505);
    expect(rejectionFor(parserError('HPE_INVALID_VERSION', 'GET / HTTP/1.1\nHost: a\r\n')).status).toBe(400);
    expect(rejectionFor(parserError('HPE_INVALID_VERSION', 'GET / http/1.1\r\n')).status).toBe(400);
  });
});
