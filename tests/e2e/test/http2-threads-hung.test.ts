// threads over HTTP/2: a thread stuck in a request (busy loop) for `timeout` is terminated and replaced;
// the stuck stream gets a 503 if its response had not started, else RST_STREAM, and its connection a
// GOAWAY (the connection goes with the thread). The process serves on.
import type { ClientHttp2Stream } from 'node:http2';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { h2Connect, h2Request } from '../helpers/h2-client.js';
import { FIXTURES, startPre, stopAll } from '../helpers/pre.js';

afterAll(stopAll);

const APP = path.join(FIXTURES, 'threads-app.js');
const H2C = ['--http-protocols', 'h2,h1', '--http2-cleartext', 'prior-knowledge'];

interface StreamEnd {
  status: number;
  /** The RST_STREAM code the stream was closed with (0: a normal end). */
  rstCode: number;
}

describe('threads: a stuck thread answers its HTTP/2 streams', () => {
  it('503 on the stuck stream before headers, RST_STREAM after; GOAWAY; the thread is replaced and the process serves on', async () => {
    const pre = startPre([APP, '-k', 'threads', '--threads', '2', '--timeout', '2', '-b', '127.0.0.1:0', '--log-level', 'debug', ...H2C]);
    const url = await pre.ready(1);
    const [pid] = pre.bootedWorkers();

    // Stuck before any header: a 503 on its stream, then GOAWAY naming it as the last stream processed.
    const hung = await h2Connect(url);
    let goaway: number | null = null;
    hung.on('goaway', (code: number, lastStreamId: number) => (goaway = lastStreamId));
    const answer = await h2Request(hung, '/hang');
    expect(answer.status).toBe(503);
    await pre.waitForLog(/THREAD TIMEOUT \(pid: \d+, thread \d\): "GET \/hang" kept the thread busy for more than 2s; its client got a 503 on its HTTP\/2 stream and its connection GOAWAY/);
    await new Promise<void>((resolve) => (hung.closed || hung.destroyed ? resolve() : hung.once('close', () => resolve())));
    expect(goaway).toBe(1);

    // Stuck after its headers: the stream is reset (its response cannot be completed).
    const started = await h2Connect(url);
    const stream: ClientHttp2Stream = started.request({ ':path': '/hang-after-sent-headers' });
    const end = await new Promise<StreamEnd>((resolve) => {
      let status = 0;
      stream.on('response', (headers) => (status = Number(headers[':status'])));
      stream.on('data', () => {});
      stream.on('error', () => {});
      stream.on('close', () => resolve({ status, rstCode: stream.rstCode ?? -1 }));
    });
    expect(end.status).toBe(200);
    expect(end.rstCode).toBe(2); // INTERNAL_ERROR
    await pre.waitForLog(/"GET \/hang-after-sent-headers" kept the thread busy for more than 2s; its stream got RST_STREAM \(the response had started\) and its connection GOAWAY/);
    started.destroy();

    await pre.waitForLog(/Thread \d of worker \(pid: \d+\) replaced[\s\S]*Thread \d of worker \(pid: \d+\) replaced/);
    const fresh = await h2Connect(url);
    for (let i = 0; i < 4; i++) {
      const res = await h2Request(fresh, '/info');
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ pid });
    }
    fresh.close();
    expect(pre.stderr.match(/Booting worker with pid/g)).toHaveLength(1); // the worker process was never replaced
  }, 60_000);
});
