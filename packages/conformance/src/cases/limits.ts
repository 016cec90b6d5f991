/**
 * limit_request_line, limit_request_fields, limit_request_field_size: a request at the limit is
 * served, one byte or field over is refused (414 for the line, RFC 9112 §3; 431 or 400 for fields),
 * and 0 means no limit of pre's own.
 */
import { expectedEcho, serialize, type RequestSpec } from '../request.js';
import { expectRefused, expectServed } from '../expect.js';
import type { KitCase, KitGroup } from '../kit-case.js';

const LIMIT_SETTINGS = ['limit_request_line', 'limit_request_fields', 'limit_request_field_size'];

/** A GET whose request line (method, target, version, no CRLF) is exactly `length` bytes. */
function lineOf(length: number): RequestSpec {
  const target = `/${'l'.repeat(length - 'GET  HTTP/1.1'.length - 1)}`;
  return { method: 'GET', target, headers: [['Host', '127.0.0.1']] };
}

/** `count` header fields in all (Host included). */
function fieldsOf(count: number): RequestSpec {
  return { method: 'GET', target: '/f', headers: [['Host', '127.0.0.1'], ...Array.from({ length: count - 1 }, (_, i): [string, string] => [`X-Kit-${i}`, `v${i}`])] };
}

/** One field whose line (name, ": ", value) is exactly `length` bytes. */
function fieldSizeOf(length: number): RequestSpec {
  return { method: 'GET', target: '/s', headers: [['Host', '127.0.0.1'], ['X-Kit-Big', 'b'.repeat(length - 'X-Kit-Big: '.length)]] };
}

const served = (id: string, title: string, spec: RequestSpec): KitCase => ({
  id, title, run: (ctx) => expectServed(ctx.server.port, serialize(spec), expectedEcho(spec), { timeoutMs: ctx.env.options.responseTimeoutMs }),
});
const refused = (id: string, title: string, spec: RequestSpec, statuses: number[]): KitCase => ({
  id, title, run: (ctx) => expectRefused(ctx.server.port, serialize(spec), { statuses, timeoutMs: ctx.env.options.responseTimeoutMs }),
});

function boundaryCases(line: number, fields: number, size: number): KitCase[] {
  return [
    served('line-at-limit', `a ${line}-byte request line is served`, lineOf(line)),
    refused('line-over-limit', `a ${line + 1}-byte request line gets 414`, lineOf(line + 1), [414]),
    served('fields-at-limit', `${fields} header fields are served`, fieldsOf(fields)),
    refused('fields-over-limit', `${fields + 1} header fields get 431 (or 400)`, fieldsOf(fields + 1), [431, 400]),
    served('field-size-at-limit', `a ${size}-byte header field is served`, fieldSizeOf(size)),
    refused('field-size-over-limit', `a ${size + 1}-byte header field gets 431 (or 400)`, fieldSizeOf(size + 1), [431, 400]),
  ];
}

export const limitsGroup: KitGroup = {
  id: 'limits',
  title: 'request limits set low: at the limit served, over it refused',
  server: (env) => ({
    app: env.echoApp, settings: LIMIT_SETTINGS,
    args: ['--limit-request-line', '200', '--limit-request-fields', '10', '--limit-request-field_size', '200'],
  }),
  cases: () => boundaryCases(200, 10, 200),
  concurrency: 3,
  workerLivesOn: true,
};

export const defaultLimitsGroup: KitGroup = {
  id: 'limits-default',
  title: "the default limits (Gunicorn's 4094, 100, 8190)",
  server: (env) => ({ app: env.echoApp }),
  cases: () => boundaryCases(4094, 100, 8190),
  concurrency: 3,
  workerLivesOn: true,
};

export const zeroLimitsGroup: KitGroup = {
  id: 'limits-zero',
  title: '0 means no limit: long lines, many fields, big fields are served',
  server: (env) => ({
    app: env.echoApp, settings: LIMIT_SETTINGS,
    args: ['--limit-request-line', '0', '--limit-request-fields', '0', '--limit-request-field_size', '0'],
  }),
  cases: () => [
    served('line-10000', 'a 10,000-byte request line', lineOf(10_000)),
    served('fields-300', '300 header fields', fieldsOf(300)),
    served('field-size-12000', 'a 12,000-byte header field', fieldSizeOf(12_000)),
  ],
  concurrency: 3,
  workerLivesOn: true,
};
