import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, runPre, startPre, stopAll, waitFor } from '../helpers/pre.js';

afterEach(stopAll);

/** The third-party worker class in apps/custom-worker, named as a user would. */
const H2C = './apps/custom-worker/worker.js:H2cWorker';
const H2_APP = path.join(FIXTURES, 'fw-h2-app.js');
const REPORT = readFileSync(path.join(ROOT, 'apps/node-http/files/report.csv'), 'utf8');

interface H2Response {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: string;
}

/** One HTTP/2 request with prior knowledge (what `curl --http2-prior-knowledge` does), on its own connection. */
function h2(url: string, path: string, options: { method?: string; json?: unknown } = {}): Promise<H2Response> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url);
    session.on('error', reject);
    const body = options.json === undefined ? undefined : JSON.stringify(options.json);
    const stream = session.request({
      ':path': path, ':method': options.method ?? 'GET', ...(body ? { 'content-type': 'application/json' } : {}),
    });
    stream.end(body);
    let text = '';
    let headers: http2.IncomingHttpHeaders = {};
    stream.setEncoding('utf8').on('data', (d: string) => (text += d));
    stream.on('response', (h) => (headers = h));
    stream.on('end', () => {
      session.close();
      if (headers[':status'] === undefined) reject(new Error(`the stream ended without a response (${text.length} bytes)`));
      else resolve({ status: Number(headers[':status']), headers, body: text });
    });
    stream.on('error', (err) => {
      session.destroy();
      reject(err);
    });
    stream.setTimeout(15_000, () => stream.close(http2.constants.NGHTTP2_CANCEL));
  });
}

function startH2c(app: string, args: readonly string[] = []) {
  return startPre([app, '-k', H2C, '-b', '127.0.0.1:0', '--log-level', 'debug', ...args]);
}

describe('a third-party worker class: HTTP/2 cleartext on the inherited sockets', () => {
  it.each(['apps/node-http', 'apps/hono'])('serves %s over h2c: routing, JSON in and out, a stream, a download, a 500, an access log line', async (app) => {
    const pre = startH2c(app, ['--access-logfile', '-']);
    const url = await pre.ready(1);
    expect((await h2(url, '/')).body).toMatch(/^Hello from /);
    const user = await h2(url, '/users/5');
    expect(user.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(user.body)).toEqual({ id: 5, name: 'user 5' });
    const echo = await h2(url, '/echo', { method: 'POST', json: { a: [1, 2] } });
    expect(echo.status).toBe(201);
    expect(JSON.parse(echo.body)).toEqual({ received: { a: [1, 2] } });
    expect((await h2(url, '/stream')).body).toBe('chunk 1\nchunk 2\nchunk 3\nchunk 4\nchunk 5\n');
    const download = await h2(url, '/download');
    expect(download.headers['content-disposition']).toBe('attachment; filename="report.csv"');
    expect(download.body).toBe(REPORT);
    expect((await h2(url, '/error')).status).toBe(500);
    expect((await h2(url, '/users/6')).status).toBe(200);
    await waitFor(() => pre.stdout.includes('"GET /users/6 HTTP/2.0" 200'), 'the access log line');
  });

  it('refuses an Express app at boot with a message that names the way out', async () => {
    const { code, stderr } = await runPre(['apps/express', '-k', H2C, '-b', '127.0.0.1:0']);
    expect(code).toBe(3);
    expect(stderr).toContain("gives requests node:http's prototypes");
    expect(stderr).toContain('--worker-class async');
  });

  it('TERM: GOAWAY, the request in flight completes, the arbiter exits 0', async () => {
    const pre = startH2c(H2_APP);
    const url = await pre.ready(1);
    const session = http2.connect(url);
    const goaway = new Promise((resolve) => session.once('goaway', resolve));
    const stream = session.request({ ':path': '/hold', ':method': 'POST' });
    stream.write('first part;');
    let body = '';
    stream.setEncoding('utf8').on('data', (d: string) => (body += d));
    const ended = new Promise((resolve, reject) => stream.on('end', resolve).on('error', reject));
    await waitFor(() => body.startsWith('started;'), 'the request to be in flight');
    pre.signal('SIGTERM');
    await goaway; // the worker is draining: nothing new on this connection, the open stream may finish
    stream.end('last part');
    await ended;
    expect(body).toBe('started;done after 20 bytes');
    session.close();
    expect((await pre.exited).code).toBe(0);
  });

  it('QUIT: the request in flight is cut short', async () => {
    const pre = startH2c(H2_APP);
    const url = await pre.ready(1);
    const session = http2.connect(url);
    session.on('error', () => {});
    const stream = session.request({ ':path': '/hold', ':method': 'POST' });
    stream.write('never finished');
    let body = '';
    stream.setEncoding('utf8').on('data', (d: string) => (body += d));
    stream.on('error', () => {});
    const closed = new Promise((resolve) => stream.on('close', resolve));
    await waitFor(() => body.startsWith('started;'), 'the request to be in flight');
    pre.signal('SIGQUIT');
    await closed;
    expect(body).toBe('started;'); // cut short: the app never got to answer
    expect((await pre.exited).code).toBe(0);
    session.destroy();
  });

  it('max_requests: the worker retires after 3 requests and a fresh one serves the next', async () => {
    const pre = startH2c(H2_APP, ['--max-requests', '3']);
    const url = await pre.ready(1);
    const [first] = pre.bootedWorkers();
    for (let i = 0; i < 3; i++) expect((await h2(url, '/pid')).body).toBe(String(first));
    await pre.waitForLog(/Autorestarting worker after current request: max_requests \(3 requests\)/);
    const second = await waitFor(() => pre.bootedWorkers().find((pid) => pid !== first), 'a replacement worker');
    expect((await h2(url, '/pid')).body).toBe(String(second));
  });

  it('timeout: a worker stuck in a handler is aborted by the heartbeat check and replaced', async () => {
    const pre = startH2c(H2_APP, ['--timeout', '2']);
    const url = await pre.ready(1);
    const [stuck] = pre.bootedWorkers();
    const blocked = h2(url, '/block').then(() => 'answered', () => 'failed');
    await pre.waitForLog(new RegExp(`WORKER TIMEOUT \\(pid:${stuck}\\)`), 30_000);
    expect(await blocked).toBe('failed');
    const fresh = await waitFor(() => pre.bootedWorkers().find((pid) => pid !== stuck), 'a replacement worker', 30_000);
    expect((await h2(url, '/pid')).body).toBe(String(fresh));
  });

  it('HUP: a new worker takes over and the old one exits', async () => {
    const pre = startH2c(H2_APP);
    const url = await pre.ready(1);
    const [old] = pre.bootedWorkers();
    pre.signal('SIGHUP');
    const [fresh] = await waitFor(() => {
      const pids = pre.bootedWorkers();
      return pids.length === 1 && pids[0] !== old ? pids : null;
    }, 'the old worker replaced');
    expect((await h2(url, '/pid')).body).toBe(String(fresh));
  });
});
