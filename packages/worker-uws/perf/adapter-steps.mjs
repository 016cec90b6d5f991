#!/usr/bin/env node
// Raw uWS answering hello in steps towards a fetch adapter, to split what answering a fetch app costs
// (README, "Hello, split"). Each route adds one step to the one before; GET /cpu reports the process's CPU
// time (µs) so that a runner can divide by the requests it sent:
//   /a  res.end(text) in the route (raw uWS)
//   /b  + answered from a promise: onAborted, a microtask, cork
//   /c  + writeStatus and a Content-Type header
//   /d  + the URL string from getHeader('host') and getUrl()
//   /f  + an async handler returning plain parts (no Web-API objects)
//   /e  the bench's fetch app itself (new URL, pre's light Response) instead of /f's plain handler
//   PORT=8000 node perf/adapter-steps.mjs      then: sh perf/adapter-steps.sh
import { installLightResponse, responseParts } from '../dist/light-response.js';
import { loadUws } from '../dist/native.js';

const uws = loadUws(4096);
installLightResponse();
const app = (await import(new URL('../../../bench/apps/pre-fetch-app.js', import.meta.url).href)).default;
const HELLO = 'Hello, World!\n';

function later(res, answer) {
  let aborted = false;
  res.onAborted(() => (aborted = true));
  void Promise.resolve().then(() => aborted || res.cork(answer));
}

function writeParts(res, parts) {
  res.cork(() => {
    res.writeStatus('200 OK');
    for (let i = 0; i < parts.headers.length; i += 2) res.writeHeader(parts.headers[i], parts.headers[i + 1]);
    res.end(parts.body);
  });
}

function answerFrom(res, promise, toParts) {
  let aborted = false;
  res.onAborted(() => (aborted = true));
  void promise.then((result) => aborted || writeParts(res, toParts(result)));
}

const plain = async () => ({ headers: ['content-type', 'text/plain'], body: HELLO });

uws.App()
  .get('/cpu', (res) => {
    const used = process.cpuUsage();
    res.end(String(used.user + used.system));
  })
  .get('/a', (res) => void res.end(HELLO))
  .get('/b', (res) => later(res, () => res.end(HELLO)))
  .get('/c', (res) => later(res, () => res.writeStatus('200 OK').writeHeader('content-type', 'text/plain').end(HELLO)))
  .get('/d', (res, req) => {
    const url = `http://${req.getHeader('host')}${req.getUrl()}`;
    later(res, () => res.writeStatus('200 OK').writeHeader('content-type', 'text/plain').end(url.length > 0 ? HELLO : ''));
  })
  .get('/f', (res, req) => answerFrom(res, plain({ url: `http://${req.getHeader('host')}/` }), (parts) => parts))
  .get('/e', (res, req) => answerFrom(res, app.fetch({ url: `http://${req.getHeader('host')}/` }), responseParts)) // the app's '/' route
  .listen('127.0.0.1', Number(process.env.PORT), (socket) => {
    if (!socket) process.exit(1);
    console.log(`adapter steps listening on ${process.env.PORT}`);
  });
process.on('SIGTERM', () => process.exit(0));
