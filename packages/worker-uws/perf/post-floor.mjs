#!/usr/bin/env node
// What a 1 MiB POST costs raw uWS by how the body is kept (README, "1 MiB POST"): POST /sum only counts
// the chunks (the bench's raw peer), /reused copies them into one buffer kept for every request, /fresh
// into a new Buffer.allocUnsafeSlow(Content-Length) per request (what a body handed to the app must be).
// GET /cpu reports the process's CPU time (µs).
//   PORT=8000 node perf/post-floor.mjs      then: sh perf/post-floor.sh
import { loadUws } from '../dist/native.js';

const uws = loadUws(4096);
const reused = Buffer.allocUnsafeSlow(1 << 20);
let kept = null; // the last body, as an app would hold it
export const lastBody = () => kept;

function readBody(res, req, bufferFor) {
  const buffer = bufferFor(Number(req.getHeader('content-length')));
  let length = 0;
  res.onAborted(() => {});
  res.onData((chunk, isLast) => {
    if (buffer !== null) buffer.set(new Uint8Array(chunk), length);
    length += chunk.byteLength;
    if (!isLast) return;
    kept = buffer;
    res.cork(() => res.end(String(length)));
  });
}

uws.App()
  .get('/cpu', (res) => {
    const used = process.cpuUsage();
    res.end(String(used.user + used.system));
  })
  .post('/sum', (res, req) => readBody(res, req, () => null))
  .post('/reused', (res, req) => readBody(res, req, (n) => (n <= reused.length ? reused : Buffer.allocUnsafeSlow(n))))
  .post('/fresh', (res, req) => readBody(res, req, (n) => Buffer.allocUnsafeSlow(n)))
  .listen('127.0.0.1', Number(process.env.PORT), (socket) => {
    if (!socket) process.exit(1);
    console.log(`post floor listening on ${process.env.PORT}`);
  });
process.on('SIGTERM', () => process.exit(0));
