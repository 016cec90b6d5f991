import { describe, expect, it } from 'vitest';
import type { HttpRequest } from '../src/native.js';
import { maxHeaderBytes, readRequestHead, type HeadRules } from '../src/request-head.js';

/** What readRequestHead reads of uWS's HttpRequest, over plain data (getQuery: undefined without '?', as uWS). */
function uwsRequest(method: string, url: string, headers: [string, string][]): HttpRequest {
  const at = url.indexOf('?');
  const path = at < 0 ? url : url.slice(0, at);
  const query = at < 0 ? undefined : url.slice(at + 1);
  return {
    getCaseSensitiveMethod: () => method,
    getUrl: () => path,
    getQuery: () => query,
    forEach: (cb: (name: string, value: string) => void) => headers.forEach(([n, v]) => cb(n, v)),
  } as unknown as HttpRequest;
}

const rules: HeadRules = { limit_request_line: 4094, limit_request_fields: 100, limit_request_field_size: 8190 };

describe('readRequestHead', () => {
  it('reads method, url with query, flat headers, host and body presence', () => {
    const head = readRequestHead(uwsRequest('POST', '/a?b=1', [['host', 'h:1'], ['content-length', '3']]), rules);
    expect(head).toMatchObject({ method: 'POST', url: '/a?b=1', host: 'h:1', headers: ['host', 'h:1', 'content-length', '3'], hasBody: true, contentLength: 3, rejection: null });
    expect(readRequestHead(uwsRequest('GET', '/', [['content-length', '0']]), rules).hasBody).toBe(false);
  });

  it.each([
    ['a request line over limit_request_line', uwsRequest('GET', `/${'a'.repeat(100)}`, []), { ...rules, limit_request_line: 50 }, 414],
    ['more fields than limit_request_fields', uwsRequest('GET', '/', [['a', '1'], ['b', '2'], ['c', '3']]), { ...rules, limit_request_fields: 2 }, 431],
    ['a field over limit_request_field_size', uwsRequest('GET', '/', [['a', 'x'.repeat(40)]]), { ...rules, limit_request_field_size: 20 }, 431],
    ['a repeated Host', uwsRequest('GET', '/', [['host', 'a'], ['host', 'b']]), rules, 400],
    ['a repeated Content-Length', uwsRequest('POST', '/', [['content-length', '1'], ['content-length', '1']]), rules, 400],
    ['a non-numeric Content-Length', uwsRequest('POST', '/', [['content-length', '1x']]), rules, 400],
    ['a chunked body', uwsRequest('POST', '/', [['transfer-encoding', 'chunked']]), rules, 411],
    ['a coding before chunked', uwsRequest('POST', '/', [['transfer-encoding', 'gzip, chunked']]), rules, 501],
    ['chunked not last', uwsRequest('POST', '/', [['transfer-encoding', 'chunked, gzip']]), rules, 400],
    ['CONNECT', uwsRequest('CONNECT', '/', []), rules, 501],
    ['a Content-Length over limit_request_body', uwsRequest('POST', '/', [['content-length', '1025']]), { ...rules, limit_request_body: 1024 }, 413],
    ['a fragment in the path', uwsRequest('GET', '/a#frag', []), rules, 400],
    ['a fragment in the query', uwsRequest('GET', '/a?b#c', []), rules, 400],
    ['a non-ASCII target (uWS decodes 0xFF to U+FFFD)', uwsRequest('GET', '/\uFFFD', []), rules, 400],
    ['a UTF-8 target', uwsRequest('GET', '/caf\u00e9', []), rules, 400],
    ['DEL in the target', uwsRequest('GET', '/a\x7f', []), rules, 400],
  ] as const)('refuses %s', (_, req, given, status) => {
    expect(readRequestHead(req, given).rejection?.status).toBe(status);
  });

  it('serves a Content-Length at limit_request_body, and any with limit_request_body 0', () => {
    expect(readRequestHead(uwsRequest('POST', '/', [['content-length', '1024']]), { ...rules, limit_request_body: 1024 }).rejection).toBeNull();
    expect(readRequestHead(uwsRequest('POST', '/', [['content-length', '99999999999']]), { ...rules, limit_request_body: 0 }).rejection).toBeNull();
  });

  it('keeps an empty query apart from none', () => {
    expect(readRequestHead(uwsRequest('GET', '/q?', []), rules).url).toBe('/q?');
    expect(readRequestHead(uwsRequest('GET', '/q', []), rules).url).toBe('/q');
  });

  it('checks every target, though the last valid one skips the pattern', () => {
    for (const url of ['/same', '/same', '/sa\u00e9me', '/same', '/sa#me']) {
      const expected = url === '/same' ? null : { status: 400, reason: 'Invalid request target' };
      expect(readRequestHead(uwsRequest('GET', url, [['host', 'h']]), rules).rejection).toEqual(expected);
    }
  });

  it('serves the printable ASCII node:http accepts in a target', () => {
    expect(readRequestHead(uwsRequest('GET', '/a|b{c}"d"<e>^`\\~%20?x=1&y=[2]', []), rules).rejection).toBeNull();
  });

  it.each([
    [[], 'keep-alive'],
    [[['connection', 'keep-alive']], 'keep-alive'],
    [[['connection', 'close']], 'uws-closes'],
    [[['connection', 'CLOSE']], 'uws-closes'],
    [[['connection', 'abcde']], 'uws-closes'], // uWS's rule is the length of the first value
    [[['connection', 'keep-alive, close']], 'close'],
    [[['connection', 'Upgrade'], ['connection', ' close ']], 'close'],
    [[['connection', 'closed-ish']], 'keep-alive'],
  ] as const)('reads Connection %j as %s', (fields, expected) => {
    expect(readRequestHead(uwsRequest('GET', '/', [...fields] as [string, string][]), rules).connection).toBe(expected);
  });

  it('applies no limit that is 0', () => {
    const head = readRequestHead(uwsRequest('GET', `/${'a'.repeat(9000)}`, [['a', 'x'.repeat(9000)]]), { limit_request_line: 0, limit_request_fields: 0, limit_request_field_size: 0 });
    expect(head.rejection).toBeNull();
  });

  it('notes a trusted-proxy header only when its names are given', () => {
    const req = (): HttpRequest => uwsRequest('GET', '/', [['x-forwarded-for', '1.2.3.4']]);
    expect(readRequestHead(req(), rules).forwarded).toBe(false);
    expect(readRequestHead(req(), { ...rules, forwardedNames: new Set(['x-forwarded-for']) }).forwarded).toBe(true);
  });
});

describe('maxHeaderBytes', () => {
  it('sizes the header buffer from the limits, between 16 KiB and 1 MiB', () => {
    expect(maxHeaderBytes(rules)).toBe(4094 + 100 * 8192 + 4);
    expect(maxHeaderBytes({ limit_request_line: 100, limit_request_fields: 2, limit_request_field_size: 100 })).toBe(16 * 1024);
    expect(maxHeaderBytes({ limit_request_line: 0, limit_request_fields: 100, limit_request_field_size: 8190 })).toBe(1024 * 1024);
  });
});
