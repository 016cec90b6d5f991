/**
 * Raw HTTP/1.1 requests for the framing tests, one per MUST of RFC 9112 (§2–§7) and RFC 9110 (§5
 * fields, §6.5 trailers, §9.3.6 CONNECT) that a server can get wrong: the malformed ones with the
 * status pre answers, the valid ones with what the app must see (tests/e2e/fixtures/raw-echo.js).
 * Strings are latin1: each character is one byte on the wire.
 */

export interface Rejected {
  readonly name: string;
  readonly raw: string;
  readonly status: number;
}

export interface Echoed {
  readonly name: string;
  readonly raw: string;
  readonly method: string;
  readonly url: string;
  readonly httpVersion: string;
  /** The header lines as the app must see them: [name, value] with the value's outer whitespace trimmed. */
  readonly headers: readonly (readonly [string, string])[];
  readonly trailers: readonly (readonly [string, string])[];
  /** The decoded body, latin1. */
  readonly body: string;
}

const H = 'Host: example.com\r\n';

/** A request line, header lines and a body, with what the app sees (unless `seen` says otherwise). */
function valid(
  name: string,
  line: [method: string, url: string, version: string],
  headers: (readonly [string, string])[],
  body = '',
  seen: Partial<Echoed> & { wire?: string } = {},
): Echoed {
  const [method, url, version] = line;
  const head = `${method} ${url} HTTP/${version}\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`;
  return { name, raw: seen.wire ?? head + body, method, url, httpVersion: version, headers, trailers: [], body, ...seen };
}

const host = ['Host', 'example.com'] as const;

export const VALID: readonly Echoed[] = [
  valid('a plain GET', ['GET', '/', '1.1'], [host]),
  valid('a GET with a query', ['GET', '/a/b?x=1&y=%20z', '1.1'], [host]),
  valid('every pchar in the path', ['GET', "/a-._~!$&'()*+,;=:@%41/b", '1.1'], [host]),
  valid('a query with / and ?', ['GET', '/p?a=/b?c', '1.1'], [host]),
  valid('a double slash path', ['GET', '//x//y', '1.1'], [host]),
  valid('HEAD', ['HEAD', '/', '1.1'], [host]),
  valid('DELETE with a body', ['DELETE', '/r', '1.1'], [host, ['Content-Length', '3']], 'abc'),
  valid('PUT with a body', ['PUT', '/r', '1.1'], [host, ['Content-Length', '5']], 'hello'),
  valid('PATCH with a body', ['PATCH', '/r', '1.1'], [host, ['Content-Length', '2']], '{}'),
  valid('OPTIONS *', ['OPTIONS', '*', '1.1'], [host]),
  valid('OPTIONS /', ['OPTIONS', '/', '1.1'], [host]),
  valid('HTTP/1.0 without Host', ['GET', '/', '1.0'], []),
  valid('HTTP/1.0 with Host', ['GET', '/', '1.0'], [host]),
  valid('HTTP/1.0 POST with Content-Length', ['POST', '/', '1.0'], [['Content-Length', '3']], 'abc'),
  valid('absolute-form', ['GET', 'http://example.com/x?y', '1.1'], [host]),
  valid('absolute-form with a port', ['GET', 'http://example.com:8080/', '1.1'], [['Host', 'example.com:8080']]),
  valid('absolute-form, https, host in other case', ['GET', 'https://Example.COM/', '1.1'], [['Host', 'example.com']]),
  valid('Host with a port', ['GET', '/', '1.1'], [['Host', 'example.com:8080']]),
  valid('Host as an IPv4 address', ['GET', '/', '1.1'], [['Host', '127.0.0.1:80']]),
  valid('Host as an IPv6 literal', ['GET', '/', '1.1'], [['Host', '[::1]:8080']]),
  valid('an empty Host', ['GET', '/', '1.1'], [['Host', '']]),
  valid('no space after the colon', ['GET', '/', '1.1'], [host, ['X-A', 'b']], '', { wire: `GET / HTTP/1.1\r\n${H}X-A:b\r\n\r\n` }),
  valid('spaces and tabs around a value', ['GET', '/', '1.1'], [host, ['X-A', 'b \t c']], '', { wire: `GET / HTTP/1.1\r\n${H}X-A: \t b \t c \t \r\n\r\n` }),
  valid('an empty value', ['GET', '/', '1.1'], [host, ['X-Empty', '']]),
  valid('obs-text in a value', ['GET', '/', '1.1'], [host, ['X-Latin', 'caf\xe9 \xff']]),
  valid('every tchar in a name', ['GET', '/', '1.1'], [host, ["!#$%&'*+-.^_`|~09azAZ", 'v']]),
  valid('quotes and commas in a value', ['GET', '/', '1.1'], [host, ['X-Q', '"a, b"; c=d, e']]),
  valid('repeated list headers stay separate', ['GET', '/', '1.1'], [host, ['Accept', 'a/b'], ['Accept', 'c/d'], ['Cookie', 'a=1'], ['Cookie', 'b=2']]),
  valid('header names keep their case', ['GET', '/', '1.1'], [['hOsT', 'example.com'], ['x-LOWER-upper', 'v']]),
  valid('Content-Length with leading zeros', ['POST', '/', '1.1'], [host, ['Content-Length', '003']], 'abc'),
  valid('Content-Length 0', ['POST', '/', '1.1'], [host, ['Content-Length', '0']]),
  valid('a binary body', ['POST', '/', '1.1'], [host, ['Content-Length', '4']], '\x00\r\n\xff'),
  valid('one chunk', ['POST', '/', '1.1'], [host, ['Transfer-Encoding', 'chunked']], 'hello', { wire: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n` }),
  valid('several chunks', ['POST', '/', '1.1'], [host, ['Transfer-Encoding', 'chunked']], 'hello world!', { wire: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1\r\n \r\n6\r\nworld!\r\n0\r\n\r\n` }),
  valid('only the last chunk', ['POST', '/', '1.1'], [host, ['Transfer-Encoding', 'chunked']], '', { wire: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n` }),
  valid('upper-case hex and leading zeros in a chunk size', ['POST', '/', '1.1'], [host, ['Transfer-Encoding', 'chunked']], 'abcdefghij', { wire: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n00A\r\nabcdefghij\r\n000\r\n\r\n` }),
  valid('chunk extensions', ['POST', '/', '1.1'], [host, ['Transfer-Encoding', 'chunked']], 'abc', { wire: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3;a=b;c="d e";f\r\nabc\r\n0;last\r\n\r\n` }),
  valid('Transfer-Encoding in other case', ['POST', '/', '1.1'], [host, ['transfer-encoding', 'Chunked']], 'abc', { wire: `POST / HTTP/1.1\r\n${H}transfer-encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n` }),
  valid('a trailer', ['POST', '/', '1.1'], [host, ['Transfer-Encoding', 'chunked'], ['Trailer', 'X-Sum']], 'abc', { trailers: [['X-Sum', '900150983cd24fb0']], wire: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 900150983cd24fb0\r\n\r\n` }),
  valid('two trailers', ['POST', '/', '1.1'], [host, ['Transfer-Encoding', 'chunked']], 'abc', { trailers: [['X-A', '1'], ['Server-Timing', 'db;dur=53']], wire: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-A: 1\r\nServer-Timing: db;dur=53\r\n\r\n` }),
  valid('one empty line before the request line', ['GET', '/', '1.1'], [host], '', { wire: `\r\nGET / HTTP/1.1\r\n${H}\r\n` }),
  valid('Expect: 100-continue', ['POST', '/', '1.1'], [host, ['Expect', '100-continue'], ['Content-Length', '3']], 'abc'),
  valid('Connection: close', ['GET', '/', '1.1'], [host, ['Connection', 'close']]),
  valid('a long target under the limit', ['GET', `/${'a'.repeat(4000)}`, '1.1'], [host]),
  valid('a custom method token', ['PROPFIND', '/', '1.1'], [host]),
  valid('Upgrade the server does not take', ['GET', '/', '1.1'], [host, ['Connection', 'Upgrade'], ['Upgrade', 'h2c']]),
  valid('a fully qualified host with a trailing dot', ['GET', '/', '1.1'], [['Host', 'example.com.']]),
];

/** A request with the usual head around `middle` (header lines, each ending in CRLF). */
const post = (middle: string, body: string, version = '1.1'): string => `POST / HTTP/${version}\r\n${H}${middle}\r\n${body}`;
const chunked = (body: string): string => post('Transfer-Encoding: chunked\r\n', body);
const get = (middle: string): string => `GET / HTTP/1.1\r\n${middle}\r\n`;

export const MALFORMED: readonly Rejected[] = [
  // RFC 9112 §3: request-line = method SP request-target SP HTTP-version, single spaces.
  { name: 'a space after the version', raw: `GET / HTTP/1.1 \r\n${H}\r\n`, status: 400 },
  { name: 'tabs as separators', raw: `GET\t/\tHTTP/1.1\r\n${H}\r\n`, status: 400 },
  { name: 'a space before the method', raw: ` GET / HTTP/1.1\r\n${H}\r\n`, status: 400 },
  { name: 'no request target', raw: `GET HTTP/1.1\r\n${H}\r\n`, status: 400 },
  { name: 'a space inside the target', raw: `GET /a b HTTP/1.1\r\n${H}\r\n`, status: 400 },
  { name: 'a NUL in the target', raw: `GET /a\0b HTTP/1.1\r\n${H}\r\n`, status: 400 },
  { name: 'a control character in the target', raw: `GET /a\x01b HTTP/1.1\r\n${H}\r\n`, status: 400 },
  { name: 'DEL in the target', raw: `GET /a\x7fb HTTP/1.1\r\n${H}\r\n`, status: 400 },
  { name: 'a non-ASCII byte in the target', raw: `GET /caf\xe9 HTTP/1.1\r\n${H}\r\n`, status: 400 },
  { name: 'a fragment in the target', raw: `GET /a#b HTTP/1.1\r\n${H}\r\n`, status: 400 },
  { name: 'an origin-form without the leading slash', raw: `GET a/b HTTP/1.1\r\n${H}\r\n`, status: 400 },
  { name: 'the asterisk-form on GET', raw: `GET * HTTP/1.1\r\n${H}\r\n`, status: 400 },
  { name: 'the asterisk-form with a query', raw: `OPTIONS *?a HTTP/1.1\r\n${H}\r\n`, status: 400 },
  { name: 'the authority-form on GET', raw: `GET example.com:80 HTTP/1.1\r\n${H}\r\n`, status: 400 },
  { name: 'CONNECT with an origin-form target', raw: `CONNECT / HTTP/1.1\r\n${H}\r\n`, status: 400 },
  { name: 'an absolute-form with userinfo', raw: `GET http://user@example.com/ HTTP/1.1\r\n${H}\r\n`, status: 400 },
  { name: 'an absolute-form whose host differs from Host', raw: `GET http://other.example/ HTTP/1.1\r\n${H}\r\n`, status: 400 },
  { name: 'an absolute-form without Host', raw: 'GET http://example.com/ HTTP/1.1\r\n\r\n', status: 400 },
  // RFC 9112 §2.3, RFC 9110 §2.5: HTTP-version = "HTTP" "/" DIGIT "." DIGIT, case-sensitive.
  { name: 'a lower-case version', raw: `GET / http/1.1\r\n${H}\r\n`, status: 400 },
  { name: 'HTTP/0.9 (no version)', raw: 'GET /\r\n\r\n', status: 400 },
  { name: 'HTTP/1.01', raw: `GET / HTTP/1.01\r\n${H}\r\n`, status: 400 },
  { name: 'HTTP/11', raw: `GET / HTTP/11\r\n${H}\r\n`, status: 400 },
  { name: 'HTTP/1', raw: `GET / HTTP/1\r\n${H}\r\n`, status: 400 },
  { name: 'HTTP/1.2', raw: `GET / HTTP/1.2\r\n${H}\r\n`, status: 505 },
  { name: 'HTTP/2.0 in an HTTP/1 request line', raw: `GET / HTTP/2.0\r\n${H}\r\n`, status: 505 },
  { name: 'HTTP/3.0', raw: `GET / HTTP/3.0\r\n${H}\r\n`, status: 505 },
  // RFC 9112 §3.2: Host, exactly once, valid, on HTTP/1.1.
  { name: 'no Host on HTTP/1.1', raw: 'GET / HTTP/1.1\r\n\r\n', status: 400 },
  { name: 'two Host headers', raw: get(`${H}Host: other.example\r\n`), status: 400 },
  { name: 'a space in Host', raw: get('Host: a b\r\n'), status: 400 },
  { name: 'a slash in Host', raw: get('Host: a/b\r\n'), status: 400 },
  { name: 'userinfo in Host', raw: get('Host: u@a\r\n'), status: 400 },
  { name: 'a bad port in Host', raw: get('Host: a:8o\r\n'), status: 400 },
  { name: 'an unclosed IPv6 literal in Host', raw: get('Host: [::1\r\n'), status: 400 },
  // RFC 9112 §5, RFC 9110 §5.1, §5.5: field-name = token, no whitespace before the colon, no CR/LF/NUL.
  { name: 'a space before the colon', raw: get(`${H}X-A : b\r\n`), status: 400 },
  { name: 'a tab before the colon', raw: get(`${H}X-A\t: b\r\n`), status: 400 },
  { name: 'Host with a space before the colon', raw: get('Host : example.com\r\n'), status: 400 },
  { name: 'an empty field name', raw: get(`${H}: b\r\n`), status: 400 },
  { name: 'a separator in a field name', raw: get(`${H}X(A): b\r\n`), status: 400 },
  { name: 'a non-ASCII byte in a field name', raw: get(`${H}X-\xe9: b\r\n`), status: 400 },
  { name: 'a line without a colon', raw: get(`${H}X-A b\r\n`), status: 400 },
  { name: 'obsolete line folding', raw: get(`${H}X-A: b\r\n c\r\n`), status: 400 },
  { name: 'obsolete line folding with a tab', raw: get(`${H}X-A: b\r\n\tc\r\n`), status: 400 },
  { name: 'whitespace before the first field line', raw: `GET / HTTP/1.1\r\n ${H}\r\n`, status: 400 },
  { name: 'a bare CR in a value', raw: get(`${H}X-A: b\rc\r\n`), status: 400 },
  { name: 'a NUL in a value', raw: get(`${H}X-A: b\0c\r\n`), status: 400 },
  { name: 'a control character in a value', raw: get(`${H}X-A: b\x01c\r\n`), status: 400 },
  { name: 'DEL in a value', raw: get(`${H}X-A: b\x7fc\r\n`), status: 400 },
  { name: 'a bare LF ending a field line', raw: `GET / HTTP/1.1\r\n${H}X-A: b\nX-B: c\r\n\r\n`, status: 400 },
  { name: 'a bare LF ending the request line', raw: `GET / HTTP/1.1\n${H}\r\n`, status: 400 },
  { name: 'a bare LF ending the head', raw: `GET / HTTP/1.1\r\n${H}\n`, status: 400 },
  // RFC 9112 §6.2, RFC 9110 §8.6: Content-Length = 1*DIGIT, one value.
  { name: 'a Content-Length list of equal values', raw: post('Content-Length: 3, 3\r\n', 'abc'), status: 400 },
  { name: 'a Content-Length list of different values', raw: post('Content-Length: 3, 4\r\n', 'abcd'), status: 400 },
  { name: 'two Content-Length headers', raw: post('Content-Length: 3\r\nContent-Length: 3\r\n', 'abc'), status: 400 },
  { name: 'a signed Content-Length', raw: post('Content-Length: +3\r\n', 'abc'), status: 400 },
  { name: 'a negative Content-Length', raw: post('Content-Length: -1\r\n', ''), status: 400 },
  { name: 'a hex Content-Length', raw: post('Content-Length: 0x3\r\n', 'abc'), status: 400 },
  { name: 'a Content-Length with a space inside', raw: post('Content-Length: 1 0\r\n', 'abcdefghij'), status: 400 },
  { name: 'an empty Content-Length', raw: post('Content-Length:\r\n', ''), status: 400 },
  { name: 'a Content-Length over 2^64', raw: post('Content-Length: 99999999999999999999999\r\n', 'abc'), status: 400 },
  // RFC 9112 §6.1, §6.3: Transfer-Encoding.
  { name: 'Transfer-Encoding with Content-Length', raw: post('Content-Length: 3\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n'), status: 400 },
  { name: 'Transfer-Encoding not ending in chunked', raw: post('Transfer-Encoding: gzip\r\n', 'abc'), status: 400 },
  { name: 'Transfer-Encoding: chunked, gzip', raw: post('Transfer-Encoding: chunked, gzip\r\n', '3\r\nabc\r\n0\r\n\r\n'), status: 400 },
  { name: 'chunked applied twice', raw: post('Transfer-Encoding: chunked, chunked\r\n', '3\r\nabc\r\n0\r\n\r\n'), status: 400 },
  { name: 'Transfer-Encoding: identity', raw: post('Transfer-Encoding: identity\r\n', 'abc'), status: 400 },
  { name: 'Transfer-Encoding: xchunked', raw: post('Transfer-Encoding: xchunked\r\n', '3\r\nabc\r\n0\r\n\r\n'), status: 400 },
  { name: 'an empty Transfer-Encoding', raw: post('Transfer-Encoding:\r\n', ''), status: 400 },
  { name: 'two Transfer-Encoding headers', raw: post('Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n', '3\r\nabc\r\n0\r\n\r\n'), status: 400 },
  { name: 'an unknown coding before chunked', raw: post('Transfer-Encoding: gzip, chunked\r\n', '3\r\nabc\r\n0\r\n\r\n'), status: 501 },
  { name: 'Transfer-Encoding on HTTP/1.0', raw: post('Transfer-Encoding: chunked\r\n', '3\r\nabc\r\n0\r\n\r\n', '1.0'), status: 400 },
  // RFC 9112 §7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF; last-chunk, trailer-section, CRLF.
  { name: 'a chunk size that is not hex', raw: chunked('zz\r\nabc\r\n0\r\n\r\n'), status: 400 },
  { name: 'a chunk size with 0x', raw: chunked('0x3\r\nabc\r\n0\r\n\r\n'), status: 400 },
  { name: 'a negative chunk size', raw: chunked('-3\r\nabc\r\n0\r\n\r\n'), status: 400 },
  { name: 'a chunk size over 2^64', raw: chunked('1ffffffffffffffff\r\nabc\r\n0\r\n\r\n'), status: 400 },
  { name: 'a space before a chunk size', raw: chunked(' 3\r\nabc\r\n0\r\n\r\n'), status: 400 },
  { name: 'a space after a chunk size, no extension', raw: chunked('3 \r\nabc\r\n0\r\n\r\n'), status: 400 },
  { name: 'a chunk extension with a space in its value', raw: chunked('3;a=b c\r\nabc\r\n0\r\n\r\n'), status: 400 },
  { name: 'a NUL in a chunk extension', raw: chunked('3;a\0\r\nabc\r\n0\r\n\r\n'), status: 400 },
  { name: 'chunk data longer than its size', raw: chunked('3\r\nabcd\r\n0\r\n\r\n'), status: 400 },
  { name: 'chunk data ended by a bare LF', raw: chunked('3\r\nabc\n0\r\n\r\n'), status: 400 },
  { name: 'a chunk size line ended by a bare LF', raw: chunked('3\nabc\r\n0\r\n\r\n'), status: 400 },
  { name: 'a chunked body ended by a bare LF', raw: chunked('3\r\nabc\r\n0\r\n\n'), status: 400 },
  { name: 'Host in a trailer', raw: chunked('3\r\nabc\r\n0\r\nHost: evil.example\r\n\r\n'), status: 400 },
  { name: 'Content-Length in a trailer', raw: chunked('3\r\nabc\r\n0\r\nContent-Length: 5\r\n\r\n'), status: 400 },
  { name: 'Transfer-Encoding in a trailer', raw: chunked('3\r\nabc\r\n0\r\nTransfer-Encoding: chunked\r\n\r\n'), status: 400 },
  { name: 'Trailer in a trailer', raw: chunked('3\r\nabc\r\n0\r\nTrailer: X-A\r\n\r\n'), status: 400 },
  { name: 'Content-Type in a trailer', raw: chunked('3\r\nabc\r\n0\r\ncontent-type: text/evil\r\n\r\n'), status: 400 },
  { name: 'Authorization in a trailer', raw: chunked('3\r\nabc\r\n0\r\nAuthorization: Basic YTpi\r\n\r\n'), status: 400 },
  { name: 'an invalid trailer name', raw: chunked('3\r\nabc\r\n0\r\nX A: b\r\n\r\n'), status: 400 },
  { name: 'a space before the colon in a trailer', raw: chunked('3\r\nabc\r\n0\r\nX-A : b\r\n\r\n'), status: 400 },
  { name: 'obsolete line folding in a trailer', raw: chunked('3\r\nabc\r\n0\r\nX-A: b\r\n c\r\n\r\n'), status: 400 },
  { name: 'a NUL in a trailer value', raw: chunked('3\r\nabc\r\n0\r\nX-A: b\0c\r\n\r\n'), status: 400 },
  // Methods: RFC 9110 §9.1 (method = token; an unknown one is 501), §9.3.6 (CONNECT is for proxies).
  { name: 'an invalid method', raw: `GE@T / HTTP/1.1\r\n${H}\r\n`, status: 400 },
  { name: 'an unknown method token', raw: `FROB / HTTP/1.1\r\n${H}\r\n`, status: 501 },
  { name: 'a lower-case method', raw: `get / HTTP/1.1\r\n${H}\r\n`, status: 501 },
  { name: 'CONNECT', raw: `CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n`, status: 501 },
];

/**
 * Where node's parser (llhttp) decides before pre sees anything, and differs from the RFC; the answer
 * per Node major (see docs/security.md). Never a silent close, never a 2xx for something ambiguous.
 */
export interface Residual {
  readonly name: string;
  readonly raw: string;
  /** The status on Node 20, and on Node 22 and later. */
  readonly status: { readonly node20: number; readonly later: number };
}

export const RESIDUAL: readonly Residual[] = [
  // RFC 9112 §3 wants single spaces; llhttp takes the repeated ones (the target stays unambiguous).
  { name: 'two spaces after the method (tolerated)', raw: `GET  / HTTP/1.1\r\n${H}\r\n`, status: { node20: 200, later: 200 } },
  { name: 'two spaces before the version (tolerated)', raw: `GET /  HTTP/1.1\r\n${H}\r\n`, status: { node20: 200, later: 200 } },
  // Valid (OWS around a field value; BWS before a chunk extension) but refused by llhttp: a 400, never garbage.
  { name: 'Content-Length with trailing whitespace (refused on Node 20)', raw: post('Content-Length: 3 \t\r\n', 'abc'), status: { node20: 400, later: 200 } },
  { name: 'a space before a chunk extension (refused)', raw: chunked('3 ; a=b\r\nabc\r\n0\r\n\r\n'), status: { node20: 400, later: 400 } },
];
