import {
  JSON_ACCESS_REQUEST_HEADERS, accessLogHeaderAtoms, basicAuthUser, type AccessLogEntry, type AccessLogFormatter,
} from './access-format.js';
import { jsonProcessFields } from './log-format.js';

const str = JSON.stringify as (value: string) => string;

/**
 * Compiles the JSON access line (`log_format json`), without its newline: pino-http's fields where it has
 * them, Gunicorn's atoms under plain names beside them.
 *
 * `{"level":30,"time":…,"pid":…,"hostname":…,"msg":"request completed",
 *   "req":{"method","url","protocol","remoteAddress"?,"user"?,"headers":{"referer"?,"user-agent"?,…}},
 *   "res":{"statusCode","bytes"?,"headers":{…}},"responseTime":1.234}`
 *
 * `time` is when the response finished (epoch ms), `responseTime` the request time in milliseconds
 * (3 decimals). `req.headers` also gets the `%({name}i)s` atoms of `access_log_format`, `res.headers` its
 * `%({name}o)s` atoms (its other atoms are not used); an absent value is left out. Every value from the
 * request goes through JSON.stringify, so no request byte can end the line or add a field.
 */
export function compileJsonAccessFormat(accessLogFormat: string): AccessLogFormatter {
  const atoms = accessLogHeaderAtoms(accessLogFormat);
  const requestHeaders = jsonKeys([...JSON_ACCESS_REQUEST_HEADERS.filter((h) => h !== 'authorization'), ...atoms.request]);
  const responseHeaders = jsonKeys(atoms.response);
  return (e) => {
    const end = Number.isFinite(e.startTime) ? Math.round(e.startTime + e.durationMs) : Date.now();
    let line =
      `{"level":30,"time":${end}${jsonProcessFields(e.pid)},"msg":"request completed",` +
      `"req":{"method":${str(e.method)},"url":${str(e.url)},"protocol":${str(`HTTP/${e.httpVersion}`)}`;
    if (e.remoteAddress !== undefined) line += `,"remoteAddress":${str(e.remoteAddress)}`;
    const user = basicAuthUser(e.requestHeader('authorization'));
    if (user !== undefined) line += `,"user":${str(user)}`;
    line += `,"headers":{${headerFields(requestHeaders, e, false)}}},"res":{"statusCode":${e.status | 0}`;
    if (e.bytes !== undefined) line += `,"bytes":${e.bytes | 0}`;
    line += `,"headers":{${headerFields(responseHeaders, e, true)}}},"responseTime":${responseTime(e.durationMs)}}`;
    return line;
  };
}

/** [name, its JSON key] pairs, deduplicated, the keys stringified once. */
function jsonKeys(names: readonly string[]): readonly (readonly [string, string])[] {
  return [...new Set(names)].map((name) => [name, str(name)] as const);
}

function headerFields(names: readonly (readonly [string, string])[], entry: AccessLogEntry, response: boolean): string {
  let fields = '';
  for (const [name, key] of names) {
    const value = response ? entry.responseHeader(name) : entry.requestHeader(name);
    if (value === undefined) continue;
    fields += `${fields === '' ? '' : ','}${key}:${str(value)}`;
  }
  return fields;
}

function responseTime(durationMs: number): number {
  return durationMs > 0 && Number.isFinite(durationMs) ? Math.round(durationMs * 1000) / 1000 : 0;
}
