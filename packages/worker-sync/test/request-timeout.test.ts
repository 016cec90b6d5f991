import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'node:http';
import type { AccessLogEntry, Logger, RequestInfo, RequestReporter, ResponseInfo } from '@pre/core';
import { afterEach, describe, expect, it } from 'vitest';
import { RequestTimeout } from '../src/request-timeout.js';

const lines: string[] = [];
const log: Logger = {
  debug: (m) => lines.push(m), info: (m) => lines.push(m), warning: (m) => lines.push(m),
  error: (m) => lines.push(m), critical: (m) => lines.push(m), exception: (m) => lines.push(m),
};

/** A reporter that records what it is told, with both kinds of detail wanted. */
class RecordingReporter implements RequestReporter {
  readonly log = log;
  readonly finished: [AccessLogEntry | null, RequestInfo | undefined, ResponseInfo | undefined][] = [];
  constructor(readonly wantsAccessEntries: boolean, readonly hasRequestHooks: boolean) {}
  requestStarted(): Promise<void> {
    return Promise.resolve();
  }
  requestFinished(entry: AccessLogEntry | null, req?: RequestInfo, res?: ResponseInfo): void {
    this.finished.push([entry, req, res]);
  }
}

let close: (() => void) | null = null;
afterEach(() => {
  close?.();
  close = null;
  lines.length = 0;
});

/** A real request in flight on 127.0.0.1, never answered, tracked by `timeout`. */
async function hangingRequest(timeout: RequestTimeout): Promise<void> {
  const seen = new Promise<void>((resolve) => {
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      timeout.track(req, res);
      resolve();
    });
    server.listen(0, '127.0.0.1', () => {
      const client = request({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', path: '/slow?x=1' });
      client.on('error', () => {});
      client.end();
      close = () => { client.destroy(); server.closeAllConnections(); server.close(); };
    });
  });
  await seen;
}

describe('RequestTimeout', () => {
  it('beats while idle, once after a request starts, then withholds the beat', async () => {
    const timeout = new RequestTimeout(30, new RecordingReporter(false, false));
    expect(timeout.beat()).toBe(true);
    await hangingRequest(timeout);
    expect(timeout.beat()).toBe(true); // the one beat: the arbiter's clock starts at the request
    expect(timeout.beat()).toBe(false);
    expect(timeout.beat()).toBe(false);
  });

  it('reports the aborted request as finished with 504: entry, request info and response', async () => {
    const reporter = new RecordingReporter(true, true);
    const timeout = new RequestTimeout(1, reporter);
    await hangingRequest(timeout);
    timeout.logAborted();
    expect(reporter.finished).toHaveLength(1);
    const [entry, info, response] = reporter.finished[0]!;
    expect(entry).toMatchObject({ method: 'GET', url: '/slow?x=1', status: 504, bytes: 0 });
    expect(info).toMatchObject({ method: 'GET', url: '/slow?x=1', remoteAddress: '127.0.0.1' });
    expect(response).toMatchObject({ status: 504, bytes: 0 });
    expect(response!.durationMs).toBeGreaterThanOrEqual(0);
    expect(lines.some((l) => l.startsWith('Worker aborted') && l.includes('GET /slow?x=1'))).toBe(true);
    timeout.logAborted(); // once only
    expect(reporter.finished).toHaveLength(1);
  });

  it('builds neither entry nor request info when nobody wants them, and still counts the request', async () => {
    const reporter = new RecordingReporter(false, false);
    const timeout = new RequestTimeout(1, reporter);
    await hangingRequest(timeout);
    timeout.logAborted();
    expect(reporter.finished).toEqual([[null, undefined, undefined]]);
  });
});
