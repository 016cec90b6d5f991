// limit_request_body per HTTP/2 stream, on async and threads: a Content-Length over the limit gets 413
// before the app runs; a body sent as DATA frames only is counted and cut where it crosses the limit
// (413 and RST_STREAM NO_ERROR if the response has not started, else RST_STREAM CANCEL), the app's body
// stream errors with PRE_ERR_BODY_TOO_LARGE, and the connection and its other streams go on.
import type { ClientHttp2Session, ClientHttp2Stream } from 'node:http2';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { h2Connect, h2Request } from '../helpers/h2-client.js';
import { FIXTURES, startPre, stopAll, waitFor, type PreProcess } from '../helpers/pre.js';

afterAll(stopAll);

const APP = path.join(FIXTURES, 'body-node.js');
const H2C = ['--http-protocols', 'h2,h1', '--http2-cleartext', 'prior-knowledge'];
const LIMIT = 1024;

interface StreamedOutcome {
  status: number;
  body: string;
  /** The RST_STREAM code the server closed the stream with (0: NO_ERROR, or a normal end). */
  rstCode: number;
  /** Bytes the client had written when the stream closed. */
  written: number;
}

/**
 * POSTs a body of DATA frames only (no content-length), `chunk` bytes at a time, until the server ends or
 * resets the stream or `max` bytes are out (bounded; the client never ends the body itself).
 */
function streamBody(session: ClientHttp2Session, target: string, chunk = 256, max = 256 * 1024): Promise<StreamedOutcome> {
  return new Promise((resolve) => {
    const stream: ClientHttp2Stream = session.request({ ':method': 'POST', ':path': target }, { endStream: false });
    let status = 0;
    let body = '';
    let written = 0;
    stream.setEncoding('utf8');
    stream.on('response', (headers) => (status = Number(headers[':status'])));
    stream.on('data', (text: string) => (body += text));
    stream.on('error', () => {}); // the outcome is the close code
    const settle = (): void => resolve({ status, body, rstCode: stream.rstCode ?? -1, written });
    stream.on('close', settle);
    // RST_STREAM received: node's client keeps a stream with unsent writes open after a NO_ERROR reset; done here.
    stream.on('aborted', () => setImmediate(() => {
      settle();
      stream.destroy();
    }));
    const pump = (): void => {
      while (!stream.closed && !stream.destroyed && written < max) {
        written += chunk;
        if (!stream.write(Buffer.alloc(chunk, 'b'))) return void stream.once('drain', pump);
      }
    };
    pump();
  });
}

describe.each(['async', 'threads'])('limit_request_body on HTTP/2 streams (%s)', (workerClass) => {
  let pre: PreProcess;
  let url: string;
  let session: ClientHttp2Session;

  beforeAll(async () => {
    pre = startPre([APP, '-k', workerClass, ...(workerClass === 'threads' ? ['--threads', '2'] : []), '-b', '127.0.0.1:0', '-w', '1',
      '--log-level', 'debug', '--limit-request-body', String(LIMIT), ...H2C]);
    url = await pre.ready(1);
    session = await h2Connect(url);
  }, 30_000);
  afterAll(() => session?.close());

  it('a declared content-length over the limit gets 413 before the app runs; the session goes on', async () => {
    const over = await h2Request(session, '/buffer?id=declared-over', { method: 'POST', headers: { 'content-length': String(LIMIT + 1) }, body: 'x'.repeat(LIMIT + 1) });
    expect(over.status).toBe(413);
    expect(over.body).toBe('Request body too large\n');
    const next = await h2Request(session, '/buffer?id=after-declared', { method: 'POST', body: 'y'.repeat(10) });
    expect(next.status).toBe(200);
    expect(JSON.parse(next.body)).toMatchObject({ bytes: 10 });
    expect(pre.stderr).not.toMatch(/body-app saw declared-over/);
  });

  it('a streamed body over the limit gets 413 (the response had not started) while a second stream on the session is served', async () => {
    const held = streamBody(session, '/buffer?id=streamed-over');
    const other = h2Request(session, '/pid?id=beside');
    const outcome = await held;
    expect(outcome.status).toBe(413);
    expect(outcome.body).toBe('Request body too large\n');
    expect(outcome.rstCode).toBe(0); // NO_ERROR: the client is told to stop sending, the 413 is whole
    expect((await other).status).toBe(200);
    await waitFor(() => /body-app streamed-over body error PRE_ERR_BODY_TOO_LARGE/.test(pre.stderr), 'the app body error');
    expect(session.closed || session.destroyed).toBe(false);
  });

  it('a streamed body over the limit once the response has started: RST_STREAM CANCEL, the session goes on', async () => {
    const outcome = await streamBody(session, '/echo?id=echo-over');
    expect(outcome.status).toBe(200); // the app had sent its headers
    expect(outcome.rstCode).toBe(8); // CANCEL
    expect(outcome.body.length).toBeLessThanOrEqual(LIMIT); // what the app echoed before the cut: never past the limit
    await waitFor(() => /body-app echo-over body error PRE_ERR_BODY_TOO_LARGE/.test(pre.stderr), 'the app body error');
    const next = await h2Request(session, '/pid?id=after-echo');
    expect(next.status).toBe(200);
  });

  it('a body under the limit, streamed or declared, reaches the app intact', async () => {
    const body = Array.from({ length: LIMIT }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
    const streamed = await h2Request(session, '/echo?id=under', { method: 'POST', body });
    expect(streamed.status).toBe(200);
    expect(streamed.body).toBe(body);
    const declared = await h2Request(session, '/buffer?id=under-declared', { method: 'POST', headers: { 'content-length': String(LIMIT) }, body });
    expect(JSON.parse(declared.body)).toMatchObject({ bytes: LIMIT });
    expect(pre.stderr).not.toMatch(/body-app under(-declared)? body error/);
  });
});

describe('limit_request_body = 0 on HTTP/2 (no limit)', () => {
  it('a body far over 1024 bytes is taken whole', async () => {
    const pre = startPre([APP, '-k', 'async', '-b', '127.0.0.1:0', '--log-level', 'debug', ...H2C]);
    const session = await h2Connect(await pre.ready(1));
    try {
      const body = 'z'.repeat(256 * 1024);
      const res = await h2Request(session, '/buffer?id=unlimited', { method: 'POST', body });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ bytes: body.length });
    } finally {
      session.close();
    }
  }, 30_000);
});
