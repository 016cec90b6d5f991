// Peer: the same fetch app pre's uws rows serve (apps/pre-fetch-app.js) on one raw uWebSockets.js process,
// through the least a fetch adapter can do: a request object with `method`, `url` and `arrayBuffer()`, pre's
// light Response (the uws worker's own, so both sides build the same objects), status, headers and body
// written in one corked call. None of pre's duties: no request checks, proxy headers, limits, timeouts,
// accounting, access log or drain. Against the raw peer (uws.js, C++ routes that build no objects and read
// no body), this row shows what serving a fetch app costs by itself; pre uws ×1 against this row, what pre adds.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installLightResponse, responseParts } from '../../packages/worker-uws/dist/light-response.js';
import { loadUws } from '../../packages/worker-uws/dist/native.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const uws = loadUws(4096);
installLightResponse();
const app = (await import(path.join(HERE, '../apps/pre-fetch-app.js'))).default;

function write(res, response) {
  const parts = responseParts(response);
  res.cork(() => {
    res.writeStatus(parts.status === 200 ? '200 OK' : `${parts.status} Not Found`);
    for (let i = 0; i < parts.headers.length; i += 2) res.writeHeader(parts.headers[i], parts.headers[i + 1]);
    res.end(parts.body ?? '');
  });
}

/** The body in one fresh buffer, as `arrayBuffer()` must return it (uWS reuses its chunk's memory). */
function readBody(res, length) {
  return new Promise((resolve) => {
    const body = Buffer.allocUnsafeSlow(length);
    let offset = 0;
    res.onData((chunk, isLast) => {
      const bytes = new Uint8Array(chunk);
      body.set(bytes.subarray(0, Math.max(0, length - offset)), offset);
      offset += bytes.byteLength;
      if (isLast) resolve(body.buffer);
    });
  });
}

uws.App().any('/*', (res, req) => {
  const query = req.getQuery();
  const method = req.getCaseSensitiveMethod();
  const length = Number(req.getHeader('content-length') || 0);
  const body = length > 0 ? readBody(res, length) : Promise.resolve(new ArrayBuffer(0));
  const request = { method, url: `http://${req.getHeader('host')}${req.getUrl()}${query ? `?${query}` : ''}`, arrayBuffer: () => body };
  let aborted = false;
  res.onAborted(() => (aborted = true));
  app.fetch(request).then((response) => aborted || write(res, response));
}).listen('127.0.0.1', Number(process.env.PORT), (socket) => {
  if (!socket) {
    console.error(`uWebSockets.js: cannot listen on ${process.env.PORT}`);
    process.exit(1);
  }
  console.log(`uws-fetch listening on ${process.env.PORT}`);
});
process.on('SIGTERM', () => process.exit(0));
