import { describe, expect, it } from 'vitest';
import { checkRequestHead, parserLimits } from '../src/http/request-checks.js';

const limits = { limit_request_line: 4094, limit_request_fields: 100, limit_request_field_size: 8190 };

describe('checkRequestHead', () => {
  it('accepts a plain request', () => {
    expect(checkRequestHead('GET', '/', ['Host', 'a', 'Accept', '*/*'], limits)).toBeNull();
  });

  it.each([
    ['a long request line', 'GET', `/${'a'.repeat(60)}`, [], { ...limits, limit_request_line: 50 }, 414, 'Request line too long'],
    ['too many fields', 'GET', '/', ['a', '1', 'b', '2'], { ...limits, limit_request_fields: 1 }, 431, 'Too many header fields'],
    ['a large field', 'GET', '/', ['a', 'x'.repeat(30)], { ...limits, limit_request_field_size: 20 }, 431, 'Header field too large'],
    ['a repeated Host, in any case', 'GET', '/', ['Host', 'a', 'HOST', 'b'], limits, 400, 'Duplicate host header'],
    ['a repeated Content-Type', 'POST', '/', ['content-type', 'a', 'content-type', 'b'], limits, 400, 'Duplicate content-type header'],
    ['a repeated Content-Length', 'POST', '/', ['Content-Length', '1', 'content-length', '1'], limits, 400, 'Duplicate content-length header'],
    ['a repeated Transfer-Encoding', 'POST', '/', ['transfer-encoding', 'chunked', 'Transfer-Encoding', 'chunked'], limits, 400, 'Duplicate transfer-encoding header'],
  ] as const)('refuses %s', (_, method, url, headers, given, status, reason) => {
    expect(checkRequestHead(method, url, headers, given)).toEqual({ status, reason });
  });

  it('lets repeated ordinary headers through, and applies no limit set to 0', () => {
    expect(checkRequestHead('GET', '/', ['accept', 'a', 'accept', 'b', 'cookie', 'x'.repeat(9000)], { ...limits, limit_request_field_size: 0 })).toBeNull();
  });
});

describe('parserLimits', () => {
  it('sizes the header block from the limits, between 16 KiB and 1 MiB', () => {
    expect(parserLimits(limits).maxHeaderSize).toBe(4094 + 100 * 8192 + 4);
    expect(parserLimits({ limit_request_line: 10, limit_request_fields: 1, limit_request_field_size: 10 }).maxHeaderSize).toBe(16 * 1024);
    expect(parserLimits({ ...limits, limit_request_fields: 0 }).maxHeaderSize).toBe(1024 * 1024);
  });
});
