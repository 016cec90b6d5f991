/**
 * Malformed and ambiguous requests, RFC 9112 (message syntax, framing, targets) and RFC 9110
 * (fields, Host, trailers) rule by rule. A MUST reject is a `refuse`: a 4xx (or the 5xx the RFC
 * names) and the connection closed, never a 2xx, never a silent close. Where the RFC lets the
 * server choose (MAY accept, or reject), the case is `either` and checks what a served request
 * must look like.
 */
import type { KitGroup } from '../kit-case.js';
import { corpusCase, head, HOST, servedAs, type CorpusEntry } from './corpus-case.js';

const VERSION_REFUSAL = { statuses: [400, 505] };
const CODING_REFUSAL = { statuses: [400, 501] };
const refuse = (rule = {}): CorpusEntry['expect'] => ({ kind: 'refuse', rule });
const post = (...lines: string[]): string => head('POST / HTTP/1.1', HOST, ...lines);
const chunkedPost = (body: string): string => `${post('Transfer-Encoding: chunked')}${body}`;

/** A served request whose trailers must not carry `name` (framing and routing fields are not trailers). */
const trailerDropped = (name: string) => servedAs('POST', '/', (echo) =>
  echo.trailers.some(([n]) => n.toLowerCase() === name.toLowerCase()) ? `the app got a ${name} trailer: ${JSON.stringify(echo.trailers)}` : null);

/** A served request whose header `name` has no CR, LF or NUL left (RFC 9110 §5.5: reject or replace with SP). */
const valueCleaned = (name: string) => servedAs('GET', '/', (echo) => {
  const value = echo.headers.find(([n]) => n === name)?.[1];
  return value === undefined || /[\r\n\0]/.test(value) ? `the app got ${JSON.stringify(value)}` : null;
});

export const MALFORMED: CorpusEntry[] = [
  // --- Request line (RFC 9112 §3) ---
  { id: 'rl-http09', title: 'HTTP/0.9 request line (no version)', bytes: 'GET /\r\n\r\n', expect: refuse(VERSION_REFUSAL) },
  { id: 'rl-missing-target', title: 'request line without a target', bytes: head('GET HTTP/1.1', HOST), expect: refuse() },
  { id: 'rl-version-lowercase', title: 'lower-case http/1.1 (HTTP-name is case-sensitive)', bytes: head('GET / http/1.1', HOST), expect: refuse(VERSION_REFUSAL) },
  { id: 'rl-version-2.0', title: 'HTTP/2.0 in an HTTP/1 request line', bytes: head('GET / HTTP/2.0', HOST), expect: refuse(VERSION_REFUSAL) },
  { id: 'rl-version-0.9', title: 'HTTP/0.9 as a version', bytes: head('GET / HTTP/0.9', HOST), expect: refuse(VERSION_REFUSAL) },
  { id: 'rl-version-1.10', title: 'HTTP/1.10 (one digit each side)', bytes: head('GET / HTTP/1.10', HOST), expect: refuse(VERSION_REFUSAL) },
  { id: 'rl-version-01.1', title: 'HTTP/01.1', bytes: head('GET / HTTP/01.1', HOST), expect: refuse(VERSION_REFUSAL) },
  { id: 'rl-version-1', title: 'HTTP/1 (no minor version)', bytes: head('GET / HTTP/1', HOST), expect: refuse(VERSION_REFUSAL) },
  {
    id: 'rl-version-1.2', title: 'HTTP/1.2: served as 1.1 (RFC 9110 §2.5) or refused',
    bytes: head('GET / HTTP/1.2', HOST), expect: { kind: 'either', served: servedAs('GET', '/'), rule: VERSION_REFUSAL },
  },
  {
    id: 'rl-h2-preface', title: 'the HTTP/2 connection preface: refused as HTTP/1, or answered with HTTP/2 SETTINGS by an h2c class',
    bytes: 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', expect: refuse({ ...VERSION_REFUSAL, http2SettingsOk: true }),
  },
  { id: 'rl-space-in-target', title: 'a space inside the target', bytes: head('GET /a b HTTP/1.1', HOST), expect: refuse() },
  { id: 'rl-nul-in-target', title: 'NUL in the target', bytes: head('GET /a\0b HTTP/1.1', HOST), expect: refuse() },
  { id: 'rl-ctl-in-target', title: 'a control byte (0x01) in the target', bytes: head('GET /a\x01b HTTP/1.1', HOST), expect: refuse() },
  { id: 'rl-del-in-target', title: 'DEL (0x7F) in the target', bytes: head('GET /a\x7fb HTTP/1.1', HOST), expect: refuse() },
  { id: 'rl-bare-cr', title: 'a bare CR ending the request line', bytes: `GET / HTTP/1.1\r${HOST}\r\n\r\n`, expect: refuse() },
  {
    id: 'rl-double-space', title: 'two spaces after the method (MAY parse on whitespace, else 400)',
    bytes: head('GET  / HTTP/1.1', HOST), expect: { kind: 'either', served: servedAs('GET', '/') },
  },
  {
    id: 'rl-leading-crlf', title: 'an empty line before the request line (SHOULD be ignored)',
    bytes: `\r\n${head('GET / HTTP/1.1', HOST)}`, expect: { kind: 'either', served: servedAs('GET', '/') },
  },
  { id: 'method-invalid-token', title: 'a method that is not a token', bytes: head('G(T / HTTP/1.1', HOST), expect: refuse() },
  {
    id: 'method-lowercase', title: 'get (methods are case-sensitive: an unknown method, 501 or served)',
    bytes: head('get / HTTP/1.1', HOST), expect: { kind: 'either', served: servedAs('get', '/'), rule: { statuses: [400, 405, 501] } },
  },
  {
    id: 'method-unknown', title: 'an unknown method token (501, or served)',
    bytes: head('FROB / HTTP/1.1', HOST), expect: { kind: 'either', served: servedAs('FROB', '/'), rule: { statuses: [400, 405, 501] } },
  },
  // --- Request targets (RFC 9112 §3.2) ---
  { id: 'target-asterisk-get', title: 'asterisk-form with GET (only OPTIONS may use it)', bytes: head('GET * HTTP/1.1', HOST), expect: refuse() },
  { id: 'target-authority-get', title: 'authority-form with GET (only CONNECT may use it)', bytes: head('GET 127.0.0.1:80 HTTP/1.1', HOST), expect: refuse() },
  { id: 'target-relative', title: 'a target that starts with neither / nor a scheme', bytes: head('GET a/b HTTP/1.1', HOST), expect: refuse() },
  { id: 'target-fragment', title: 'a fragment in the target (not part of origin-form)', bytes: head('GET /a#frag HTTP/1.1', HOST), expect: refuse() },
  { id: 'target-non-ascii', title: 'a raw non-ASCII byte in the target', bytes: head('GET /\xff HTTP/1.1', HOST), expect: refuse() },
  {
    id: 'connect-authority-form', title: 'CONNECT host:port: served to the app or refused with a status, never a silent close',
    bytes: head('CONNECT 127.0.0.1:443 HTTP/1.1', 'Host: 127.0.0.1:443'),
    expect: { kind: 'either', served: servedAs('CONNECT', '127.0.0.1:443'), rule: { statuses: [400, 403, 405, 501, 502] } },
  },
  { id: 'connect-origin-form', title: 'CONNECT with an origin-form target', bytes: head('CONNECT / HTTP/1.1', HOST), expect: refuse({ statuses: [400, 405, 501] }) },
  // --- Field syntax (RFC 9112 §5, RFC 9110 §5) ---
  { id: 'field-space-before-colon', title: 'whitespace between field name and colon (MUST 400)', bytes: head('GET / HTTP/1.1', HOST, 'X-Kit : 1'), expect: refuse({ statuses: [400] }) },
  { id: 'field-tab-before-colon', title: 'a tab between field name and colon (MUST 400)', bytes: head('GET / HTTP/1.1', HOST, 'X-Kit\t: 1'), expect: refuse({ statuses: [400] }) },
  { id: 'field-name-space', title: 'a space inside a field name', bytes: head('GET / HTTP/1.1', HOST, 'X Kit: 1'), expect: refuse() },
  { id: 'field-name-ctl', title: 'a control byte in a field name', bytes: head('GET / HTTP/1.1', HOST, 'X-K\x01t: 1'), expect: refuse() },
  { id: 'field-name-separator', title: 'a separator ( ) in a field name', bytes: head('GET / HTTP/1.1', HOST, 'X(Kit): 1'), expect: refuse() },
  { id: 'field-name-non-ascii', title: 'a non-ASCII byte in a field name', bytes: head('GET / HTTP/1.1', HOST, 'X-K\xe9t: 1'), expect: refuse() },
  { id: 'field-name-empty', title: 'an empty field name', bytes: head('GET / HTTP/1.1', HOST, ': 1'), expect: refuse() },
  { id: 'field-no-colon', title: 'a header line without a colon', bytes: head('GET / HTTP/1.1', HOST, 'X-Kit'), expect: refuse() },
  {
    id: 'field-obs-fold', title: 'obsolete line folding (MUST 400, or replace with SP)',
    bytes: head('GET / HTTP/1.1', HOST, 'X-Kit: a', ' b'),
    expect: { kind: 'either', served: servedAs('GET', '/', (e) => (/^a[ \t]+b$/.test(e.headers.find(([n]) => n === 'X-Kit')?.[1] ?? '') ? null : `X-Kit is ${JSON.stringify(e.headers)}`)), rule: { statuses: [400] } },
  },
  {
    id: 'field-whitespace-first-line', title: 'whitespace before the first header line (reject, or ignore that line)',
    bytes: head('GET / HTTP/1.1', ' X-Kit: 1', HOST),
    expect: { kind: 'either', served: servedAs('GET', '/', (e) => (e.headers.some(([n]) => /x-kit/i.test(n)) ? `the app got ${JSON.stringify(e.headers)}` : null)) },
  },
  { id: 'field-value-nul', title: 'NUL in a field value (reject, or replace with SP)', bytes: head('GET / HTTP/1.1', HOST, 'X-Kit: a\0b'), expect: { kind: 'either', served: valueCleaned('X-Kit') } },
  { id: 'field-value-bare-cr', title: 'a bare CR in a field value (reject, or replace with SP)', bytes: head('GET / HTTP/1.1', HOST, 'X-Kit: a\rb'), expect: { kind: 'either', served: valueCleaned('X-Kit') } },
  { id: 'field-value-bare-lf-continuation', title: 'a bare LF splitting a value into a line without a colon', bytes: head('GET / HTTP/1.1', HOST, 'X-Kit: a\nb'), expect: refuse() },
  { id: 'field-value-ctl', title: 'a control byte (0x01) in a field value', bytes: head('GET / HTTP/1.1', HOST, 'X-Kit: a\x01b'), expect: { kind: 'either', served: servedAs('GET', '/') } },
  {
    id: 'bare-lf-line-endings', title: 'LF-only line endings in the head (MAY be accepted)',
    bytes: 'GET / HTTP/1.1\nHost: 127.0.0.1\nX-Kit: 1\n\n', expect: { kind: 'either', served: servedAs('GET', '/') },
  },
  // --- Host (RFC 9112 §3.2, RFC 9110 §7.2) ---
  { id: 'host-missing', title: 'HTTP/1.1 without Host (MUST 400)', bytes: head('GET / HTTP/1.1', 'X-Kit: 1'), expect: refuse({ statuses: [400] }) },
  { id: 'host-duplicate', title: 'two Host fields (MUST 400)', bytes: head('GET / HTTP/1.1', HOST, 'Host: other.example'), expect: refuse({ statuses: [400] }) },
  { id: 'host-duplicate-same', title: 'two identical Host fields (MUST 400)', bytes: head('GET / HTTP/1.1', HOST, HOST), expect: refuse({ statuses: [400] }) },
  { id: 'host-list', title: 'Host with a comma list of two hosts', bytes: head('GET / HTTP/1.1', 'Host: a.example, b.example'), expect: refuse({ statuses: [400] }) },
  { id: 'host-invalid-space', title: 'Host with a space inside (invalid value, MUST 400)', bytes: head('GET / HTTP/1.1', 'Host: a b'), expect: refuse({ statuses: [400] }) },
  { id: 'host-invalid-slash', title: 'Host with a path (invalid value, MUST 400)', bytes: head('GET / HTTP/1.1', 'Host: a.example/b'), expect: refuse({ statuses: [400] }) },
  { id: 'host-invalid-userinfo', title: 'Host with userinfo (invalid value, MUST 400)', bytes: head('GET / HTTP/1.1', 'Host: user@a.example'), expect: refuse({ statuses: [400] }) },
  { id: 'host-unclosed-ipv6', title: 'Host with an unclosed IPv6 literal', bytes: head('GET / HTTP/1.1', 'Host: [::1'), expect: refuse({ statuses: [400] }) },
  {
    id: 'host-absolute-form-mismatch', title: 'absolute-form whose host differs from Host (the target wins: served or refused)',
    bytes: head('GET http://other.example/x HTTP/1.1', HOST), expect: { kind: 'either', served: servedAs('GET', 'http://other.example/x') },
  },
  // --- Content-Length (RFC 9112 §6.3, RFC 9110 §8.6) ---
  {
    id: 'cl-list-same', title: 'Content-Length: 5, 5 (reject, or use 5)', bytes: `${post('Content-Length: 5, 5')}hello`,
    expect: { kind: 'either', served: servedAs('POST', '/', (e) => (e.body_b64 === Buffer.from('hello').toString('base64') ? null : `body ${e.body_b64}`)) },
  },
  { id: 'cl-list-different', title: 'Content-Length: 5, 6', bytes: `${post('Content-Length: 5, 6')}hello!`, expect: refuse({ statuses: [400] }) },
  { id: 'cl-plus-sign', title: 'Content-Length: +5', bytes: `${post('Content-Length: +5')}hello`, expect: refuse({ statuses: [400] }) },
  { id: 'cl-negative', title: 'Content-Length: -5', bytes: `${post('Content-Length: -5')}hello`, expect: refuse({ statuses: [400] }) },
  { id: 'cl-hex', title: 'Content-Length: 0x5', bytes: `${post('Content-Length: 0x5')}hello`, expect: refuse({ statuses: [400] }) },
  { id: 'cl-inner-space', title: 'Content-Length: 1 0', bytes: `${post('Content-Length: 1 0')}helloworld`, expect: refuse({ statuses: [400] }) },
  { id: 'cl-trailing-letter', title: 'Content-Length: 5a', bytes: `${post('Content-Length: 5a')}hello`, expect: refuse({ statuses: [400] }) },
  { id: 'cl-empty', title: 'an empty Content-Length', bytes: `${post('Content-Length:')}hello`, expect: refuse({ statuses: [400] }) },
  { id: 'cl-huge', title: 'Content-Length beyond 2^64', bytes: `${post('Content-Length: 99999999999999999999999')}hello`, expect: refuse({ statuses: [400, 413] }) },
  { id: 'cl-two-different', title: 'two Content-Length fields that differ', bytes: `${post('Content-Length: 5', 'Content-Length: 6')}hello!`, expect: refuse({ statuses: [400] }) },
  {
    id: 'cl-two-same', title: 'two equal Content-Length fields (reject, or use the value)', bytes: `${post('Content-Length: 5', 'Content-Length: 5')}hello`,
    expect: { kind: 'either', served: servedAs('POST', '/', (e) => (e.body_b64 === Buffer.from('hello').toString('base64') ? null : `body ${e.body_b64}`)) },
  },
  // --- Transfer-Encoding (RFC 9112 §6.1, §6.3) ---
  {
    id: 'te-with-cl', title: 'Transfer-Encoding with Content-Length (reject, or chunked wins and the connection closes)',
    bytes: `${post('Content-Length: 5', 'Transfer-Encoding: chunked')}5\r\nhello\r\n0\r\n\r\n`,
    expect: { kind: 'either', served: servedAs('POST', '/', (e) => (e.body_b64 === Buffer.from('hello').toString('base64') ? null : `body ${e.body_b64}`)), rule: { mustClose: true, statuses: [400] } },
  },
  { id: 'te-chunked-not-last', title: 'Transfer-Encoding: chunked, identity (chunked not final: MUST 400)', bytes: chunkedPost('').replace('chunked', 'chunked, identity') + '5\r\nhello\r\n0\r\n\r\n', expect: refuse({ statuses: [400] }) },
  { id: 'te-gzip-only', title: 'Transfer-Encoding: gzip (chunked not final)', bytes: `${post('Transfer-Encoding: gzip')}hello`, expect: refuse(CODING_REFUSAL) },
  { id: 'te-identity', title: 'Transfer-Encoding: identity', bytes: `${post('Transfer-Encoding: identity')}hello`, expect: refuse(CODING_REFUSAL) },
  { id: 'te-unknown', title: 'Transfer-Encoding: xchunked', bytes: `${post('Transfer-Encoding: xchunked')}5\r\nhello\r\n0\r\n\r\n`, expect: refuse(CODING_REFUSAL) },
  { id: 'te-chunked-twice', title: 'Transfer-Encoding: chunked, chunked', bytes: `${post('Transfer-Encoding: chunked, chunked')}5\r\nhello\r\n0\r\n\r\n`, expect: refuse(CODING_REFUSAL) },
  { id: 'te-two-fields-gzip-chunked', title: 'two Transfer-Encoding fields: gzip then chunked (unknown coding)', bytes: `${post('Transfer-Encoding: gzip', 'Transfer-Encoding: chunked')}5\r\nhello\r\n0\r\n\r\n`, expect: refuse(CODING_REFUSAL) },
  { id: 'te-empty', title: 'an empty Transfer-Encoding', bytes: `${post('Transfer-Encoding:')}hello`, expect: refuse(CODING_REFUSAL) },
  { id: 'te-vertical-tab', title: 'Transfer-Encoding: \\x0bchunked', bytes: `${post('Transfer-Encoding: \x0bchunked')}5\r\nhello\r\n0\r\n\r\n`, expect: refuse(CODING_REFUSAL) },
  {
    id: 'te-http10', title: 'Transfer-Encoding: chunked on HTTP/1.0 (faulty framing, RFC 9112 §6.1)',
    bytes: `${head('POST / HTTP/1.0', HOST, 'Transfer-Encoding: chunked')}5\r\nhello\r\n0\r\n\r\n`, expect: refuse(CODING_REFUSAL),
  },
  // --- Chunked syntax (RFC 9112 §7.1) ---
  { id: 'chunk-size-invalid', title: 'chunk size zz', bytes: chunkedPost('zz\r\nhello\r\n0\r\n\r\n'), expect: refuse({ statuses: [400] }) },
  { id: 'chunk-size-0x', title: 'chunk size 0x5', bytes: chunkedPost('0x5\r\nhello\r\n0\r\n\r\n'), expect: refuse({ statuses: [400] }) },
  { id: 'chunk-size-negative', title: 'chunk size -5', bytes: chunkedPost('-5\r\nhello\r\n0\r\n\r\n'), expect: refuse({ statuses: [400] }) },
  { id: 'chunk-size-overflow', title: 'chunk size beyond 2^64', bytes: chunkedPost('fffffffffffffffffffff\r\nhello\r\n0\r\n\r\n'), expect: refuse({ statuses: [400, 413] }) },
  { id: 'chunk-size-empty', title: 'an empty chunk-size line', bytes: chunkedPost('\r\nhello\r\n0\r\n\r\n'), expect: refuse({ statuses: [400] }) },
  { id: 'chunk-data-too-long', title: 'chunk data longer than its size', bytes: chunkedPost('5\r\nhello world\r\n0\r\n\r\n'), expect: refuse({ statuses: [400] }) },
  { id: 'chunk-missing-crlf', title: 'chunk data not followed by CRLF', bytes: chunkedPost('5\r\nhelloX0\r\n\r\n'), expect: refuse({ statuses: [400] }) },
  { id: 'chunk-bare-lf', title: 'chunked framing with bare LF line endings', bytes: chunkedPost('5\nhello\n0\n\n'), expect: refuse({ statuses: [400] }) },
  { id: 'chunk-bare-lf-after-data', title: 'a bare LF after chunk data', bytes: chunkedPost('5\r\nhello\n0\r\n\r\n'), expect: refuse({ statuses: [400] }) },
  { id: 'chunk-ext-empty-name', title: 'a chunk extension with no name', bytes: chunkedPost('5;\r\nhello\r\n0\r\n\r\n'), expect: refuse({ statuses: [400] }) },
  { id: 'chunk-ext-bad-value', title: 'a chunk extension value with a space inside', bytes: chunkedPost('5;a=b c\r\nhello\r\n0\r\n\r\n'), expect: refuse({ statuses: [400] }) },
  { id: 'chunk-ext-unterminated-quote', title: 'a chunk extension with an unterminated quoted-string', bytes: chunkedPost('5;a="b\r\nhello\r\n0\r\n\r\n'), expect: refuse({ statuses: [400] }) },
  { id: 'trailer-no-colon', title: 'a trailer line without a colon', bytes: chunkedPost('5\r\nhello\r\n0\r\nbad trailer\r\n\r\n'), expect: refuse({ statuses: [400] }) },
  {
    id: 'trailer-host', title: 'a Host trailer (reject, or keep it from the app)',
    bytes: chunkedPost('5\r\nhello\r\n0\r\nHost: evil.example\r\n\r\n'), expect: { kind: 'either', served: trailerDropped('Host') },
  },
  {
    id: 'trailer-content-length', title: 'a Content-Length trailer (reject, or keep it from the app)',
    bytes: chunkedPost('5\r\nhello\r\n0\r\nContent-Length: 50\r\n\r\n'), expect: { kind: 'either', served: trailerDropped('Content-Length') },
  },
  {
    id: 'trailer-transfer-encoding', title: 'a Transfer-Encoding trailer (reject, or keep it from the app)',
    bytes: chunkedPost('5\r\nhello\r\n0\r\nTransfer-Encoding: chunked\r\n\r\n'), expect: { kind: 'either', served: trailerDropped('Transfer-Encoding') },
  },
  {
    id: 'chunked-truncated', title: 'a chunked body cut short by the client (no 2xx; a close is fine)',
    bytes: chunkedPost('5\r\nhel'), end: true, expect: refuse({ silentCloseOk: true }),
  },
  {
    id: 'chunked-no-last-chunk', title: 'a chunked body without its last chunk (no 2xx; a close is fine)',
    bytes: chunkedPost('5\r\nhello\r\n'), end: true, expect: refuse({ silentCloseOk: true }),
  },
  {
    id: 'cl-body-short', title: 'a body shorter than Content-Length, then EOF (no 2xx; a close is fine)',
    bytes: `${post('Content-Length: 10')}hello`, end: true, expect: refuse({ silentCloseOk: true }),
  },
];

export const malformedGroup: KitGroup = {
  id: 'framing-malformed',
  title: 'malformed and ambiguous requests: the right 4xx and a close, never a 2xx',
  server: (env) => ({ app: env.echoApp }),
  cases: () => MALFORMED.map(corpusCase),
  concurrency: 6,
  workerLivesOn: true,
};
