// @ts-check
// Serves a fetch app over HTTP/2. Core's fetchToNodeListener is written for node:http (it finds the
// host in `Host` and a body from Content-Length/Transfer-Encoding, which HTTP/2 does not need), so
// the web Request is built here from the HTTP/2 stream, and core's writeWebResponse sends the answer.
import { Readable } from 'node:stream';
import { writeWebResponse } from '@pre/core';

/**
 * @typedef {import('node:http2').Http2ServerRequest} Http2ServerRequest
 * @typedef {import('node:http2').Http2ServerResponse} Http2ServerResponse
 * @typedef {import('node:http').IncomingMessage} IncomingMessage
 * @typedef {import('node:http').ServerResponse} ServerResponse
 * @typedef {import('@pre/core').FetchHandler} FetchHandler
 */

/**
 * The HTTP/2 request as a web Request; its signal aborts if the client resets the stream.
 * @param {Http2ServerRequest} req
 * @param {Http2ServerResponse} res
 */
export function toRequest(req, res) {
  const url = `http://${req.authority || 'localhost'}${req.url}`;
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith(':') || value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  const hasBody = !req.stream.endAfterHeaders && req.method !== 'GET' && req.method !== 'HEAD';
  /** @type {RequestInit & { duplex?: 'half' }} */
  const init = { method: req.method, headers, signal: controller.signal };
  if (hasBody) {
    init.body = /** @type {ReadableStream} */ (Readable.toWeb(req));
    init.duplex = 'half';
  }
  return new Request(url, init);
}

/**
 * A node-style handler for node:http2's compatibility API that runs the fetch app. It rejects when
 * the app throws or returns something else than a Response, so the worker answers 500.
 * @param {FetchHandler} fetch
 */
export function fetchHandler(fetch) {
  /** @param {Http2ServerRequest} req @param {Http2ServerResponse} res */
  return async (req, res) => {
    const response = await fetch(toRequest(req, res), { remoteAddress: req.socket.remoteAddress });
    if (!(response instanceof Response)) throw new TypeError('The fetch handler did not return a Response');
    // writeWebResponse only uses what node:http2's compatibility objects share with node:http's.
    await writeWebResponse(/** @type {IncomingMessage} */ (/** @type {unknown} */ (req)), /** @type {ServerResponse} */ (/** @type {unknown} */ (res)), response);
  };
}
