// @ts-check
// What the access log and the hooks see of one HTTP/2 exchange. node:http2's compatibility objects
// look like node:http's, but not enough for @pre/core's nodeAccessLogEntry, so the entry is built here.

/**
 * @typedef {import('node:http2').Http2ServerRequest} Http2ServerRequest
 * @typedef {import('node:http2').Http2ServerResponse} Http2ServerResponse
 * @typedef {import('@pre/core').AccessLogEntry} AccessLogEntry
 * @typedef {import('@pre/core').RequestInfo} RequestInfo
 */

/** @param {string | number | string[] | undefined} value */
function headerText(value) {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(', ') : String(value);
}

/**
 * @param {Http2ServerRequest} req
 * @returns {RequestInfo}
 */
export function requestInfo(req) {
  return { method: req.method, url: req.url, headers: req.headers, remoteAddress: req.socket.remoteAddress };
}

/**
 * @param {Http2ServerRequest} req
 * @param {Http2ServerResponse} res
 * @param {number} startTime epoch ms
 * @param {number} durationMs
 * @param {string | undefined} remoteAddress read when the request arrived: once the stream has closed,
 *   node:http2's `req.socket` no longer reaches the connection
 * @returns {AccessLogEntry}
 */
export function accessEntry(req, res, startTime, durationMs, remoteAddress) {
  const length = Number(res.getHeader('content-length'));
  return {
    remoteAddress,
    method: req.method,
    url: req.url,
    httpVersion: req.httpVersion,
    status: res.statusCode,
    // The Content-Length when the app set one ('-' in the log otherwise).
    bytes: Number.isFinite(length) ? length : undefined,
    requestHeader: (name) => headerText(req.headers[name]),
    responseHeader: (name) => headerText(res.getHeader(name)),
    startTime,
    durationMs,
    pid: process.pid,
  };
}
