// @ts-check
// headers_timeout and request_timeout on HTTP/2, with the meanings core gives them on HTTP/1.1.
import http2 from 'node:http2';
import { DRAIN_IDLE_MS } from '@pre/core';

/**
 * @typedef {import('node:http2').ServerHttp2Session} ServerHttp2Session
 * @typedef {import('node:http2').Http2ServerRequest} Http2ServerRequest
 * @typedef {import('node:http2').Http2ServerResponse} Http2ServerResponse
 */

/**
 * headers_timeout: a session with no stream open must complete a request head within `ms` of its
 * start or of its last stream's end, as core times the HTTP/1.1 connections it is handed. A header
 * block cannot interleave with other frames, so a client dripping one stalls its whole session.
 * @param {ServerHttp2Session} session
 * @param {number} ms 0: none
 */
export function headersDeadline(session, ms) {
  if (ms <= 0) return;
  // GOAWAY, then the socket goes: a half-received header block would keep node from closing it.
  const expire = () => {
    session.close();
    setTimeout(() => session.destroy(), DRAIN_IDLE_MS).unref();
  };
  let open = 0;
  let timer = setTimeout(expire, ms);
  session.on('stream', (stream) => {
    open++;
    clearTimeout(timer);
    stream.once('close', () => {
      if (--open === 0 && !session.closed) timer = setTimeout(expire, ms);
    });
  });
  session.once('close', () => clearTimeout(timer));
}

/**
 * request_timeout: the body must have arrived within `ms` of the head: 408 then RST_STREAM(NO_ERROR),
 * which tells the client to stop sending; a reset if the app has already started its answer.
 * @param {Http2ServerRequest} req
 * @param {Http2ServerResponse} res
 * @param {number} ms
 */
export function requestDeadline(req, res, ms) {
  if (received(req)) return;
  const { NGHTTP2_NO_ERROR, NGHTTP2_CANCEL } = http2.constants;
  const timer = setTimeout(() => {
    if (received(req) || res.stream.destroyed) return;
    if (res.headersSent) return res.stream.close(NGHTTP2_CANCEL);
    res.writeHead(408, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('Request Timeout\n', () => res.stream.close(NGHTTP2_NO_ERROR));
  }, ms);
  res.once('close', () => clearTimeout(timer));
  req.stream.once('end', () => clearTimeout(timer));
}

/**
 * Whether the client has sent the whole request (END_STREAM), whether or not the app has read it.
 * @param {Http2ServerRequest} req
 */
function received(req) {
  const { NGHTTP2_STREAM_STATE_HALF_CLOSED_REMOTE, NGHTTP2_STREAM_STATE_CLOSED } = http2.constants;
  const state = req.stream.state.state;
  return req.stream.endAfterHeaders || state === NGHTTP2_STREAM_STATE_HALF_CLOSED_REMOTE || state === NGHTTP2_STREAM_STATE_CLOSED;
}
