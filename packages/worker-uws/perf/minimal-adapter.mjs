#!/usr/bin/env node
// The least a fetch adapter on uWS can do, for comparison with the uws worker: the same app
// (bench/apps/pre-fetch-app.js) and the same light Response, with none of pre's duties (request checks,
// proxy headers, limits, timeouts, access log and request accounting, drain). uWS + app + this = the floor.
//   PORT=8000 node perf/minimal-adapter.mjs [APP]
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { installLightResponse, responseParts } from '../dist/light-response.js';
import { loadUws } from '../dist/native.js';

const uws = loadUws(4096);
installLightResponse();
const appFile = process.argv[2] ?? new URL('../../../bench/apps/pre-fetch-app.js', import.meta.url).pathname;
const app = (await import(pathToFileURL(path.resolve(appFile)).href)).default;

function write(res, response) {
  const parts = responseParts(response);
  res.cork(() => {
    res.writeStatus(parts.status === 200 ? '200 OK' : `${parts.status} X`);
    for (let i = 0; i < parts.headers.length; i += 2) res.writeHeader(parts.headers[i], parts.headers[i + 1]);
    res.end(parts.body ?? '');
  });
}

uws.App().any('/*', (res, req) => {
  const query = req.getQuery();
  const request = { method: req.getCaseSensitiveMethod(), url: `http://${req.getHeader('host')}${req.getUrl()}${query ? `?${query}` : ''}` };
  let aborted = false;
  res.onAborted(() => (aborted = true));
  app.fetch(request).then((response) => aborted || write(res, response));
}).listen('127.0.0.1', Number(process.env.PORT), (socket) => {
  if (!socket) process.exit(1);
  console.log(`minimal adapter listening on ${process.env.PORT}`);
});
process.on('SIGTERM', () => process.exit(0));
