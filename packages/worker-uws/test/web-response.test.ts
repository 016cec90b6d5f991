import { inMemoryResponseBody } from '@pre/core';
import { describe, expect, it } from 'vitest';
import type { HttpResponse } from '../src/native.js';
import { END_COPY_LIMIT, statusLine, writeWebResponse, type ResponseState } from '../src/web-response.js';

/** Records what the writer asks of uWS's HttpResponse (the calls an in-memory body makes). */
function recordingResponse(): { res: HttpResponse; calls: unknown[][] } {
  const calls: unknown[][] = [];
  const res = {
    writeStatus(s: string) { calls.push(['status', s]); return res; },
    writeHeader(n: string, v: string) { calls.push(['header', n, v]); return res; },
    end(body: unknown, close: boolean) { calls.push(['end', body === undefined || typeof body === 'string' ? body ?? '' : Buffer.from(body as Uint8Array).toString(), close]); return res; },
    endWithoutBody(...args: unknown[]) { calls.push(['endWithoutBody', ...args]); return res; },
    getWriteOffset: () => 0,
    tryEnd(body: Uint8Array, total: number) { calls.push(['tryEnd', Buffer.from(body).toString(), total]); return [true, true]; },
    cork(cb: () => void) { cb(); return res; },
  };
  return { res: res as unknown as HttpResponse, calls };
}

const state = (): ResponseState => ({ aborted: false });

/**
 * Node 20 and 22 expose a native Response's in-memory body (one `end()` call); Node 24's undici does not,
 * and the writer streams the body instead (the streamed-body test below covers that path everywhere).
 */
const IN_MEMORY = inMemoryResponseBody(new Response('probe')) !== undefined;
const inMemoryIt = it.runIf(IN_MEMORY);

describe('writeWebResponse', () => {
  inMemoryIt('sends an in-memory body in one call, without the headers uWS writes itself', async () => {
    const { res, calls } = recordingResponse();
    const response = new Response('hello', { status: 201, headers: { 'x-a': '1', 'content-length': '5', connection: 'keep-alive' } });
    const written = await writeWebResponse(res, response, false, 'keep-alive', state(), true);
    expect(written).toEqual({ status: 201, bytes: 5 });
    expect(calls).toEqual([
      ['status', '201 Created'],
      ['header', 'content-type', 'text/plain;charset=UTF-8'],
      ['header', 'x-a', '1'],
      ['end', 'hello', false],
    ]);
  });

  inMemoryIt('sends bytes up to END_COPY_LIMIT with one end(), larger ones with tryEnd (never held twice)', async () => {
    for (const [size, call] of [[END_COPY_LIMIT, 'end'], [END_COPY_LIMIT + 1, 'tryEnd']] as const) {
      const { res, calls } = recordingResponse();
      const written = await writeWebResponse(res, new Response(new Uint8Array(size).fill(97)), false, 'keep-alive', state(), true);
      expect(written).toEqual({ status: 200, bytes: size });
      const last = calls.at(-1)!;
      expect(last[0]).toBe(call);
      expect((last[1] as string).length).toBe(size);
    }
  });

  it('writes every Set-Cookie separately', async () => {
    const { res, calls } = recordingResponse();
    const headers = new Headers();
    headers.append('set-cookie', 'a=1');
    headers.append('set-cookie', 'b=2');
    await writeWebResponse(res, new Response(null, { headers }), false, 'keep-alive', state(), true);
    expect(calls.filter(([kind]) => kind === 'header')).toEqual([['header', 'set-cookie', 'a=1'], ['header', 'set-cookie', 'b=2']]);
  });

  inMemoryIt('answers HEAD with the length and no body, closing when asked', async () => {
    const { res, calls } = recordingResponse();
    const written = await writeWebResponse(res, new Response('four'), true, 'close', state(), true);
    expect(written).toEqual({ status: 200, bytes: 0 });
    expect(calls.slice(-3)).toEqual([['header', 'content-length', '4'], ['header', 'connection', 'close'], ['endWithoutBody']]);
  });

  inMemoryIt('writes Connection: close itself when uWS closes on its own (it writes none then)', async () => {
    const { res, calls } = recordingResponse();
    await writeWebResponse(res, new Response('x'), false, 'uws-closes', state(), true);
    expect(calls.slice(-2)).toEqual([['header', 'connection', 'close'], ['end', 'x', true]]);
  });

  it.each([204, 304])('ends a %i without Content-Length (endWithoutBody with no argument)', async (status) => {
    for (const make of [() => new Response(null, { status }), () => new Response(null, { status, headers: new Headers({ 'x-a': '1' }) })]) {
      const { res, calls } = recordingResponse();
      expect(await writeWebResponse(res, make(), false, 'keep-alive', state(), true)).toEqual({ status, bytes: 0 });
      expect(calls.at(-1)).toEqual(['endWithoutBody']);
      const head = recordingResponse();
      await writeWebResponse(head.res, make(), true, 'uws-closes', state(), true);
      expect(head.calls.slice(-2)).toEqual([['header', 'connection', 'close'], ['endWithoutBody']]);
    }
  });

  it('reads a streamed body and counts its bytes', async () => {
    const { res, calls } = recordingResponse();
    const stream = new ReadableStream<Uint8Array>({
      start(c) { c.enqueue(new TextEncoder().encode('ab')); c.enqueue(new TextEncoder().encode('cde')); c.close(); },
    });
    Object.assign(res, { write: (chunk: Uint8Array) => (calls.push(['write', Buffer.from(chunk).toString()]), true) });
    const written = await writeWebResponse(res, new Response(stream), false, 'close', state(), false);
    expect(written).toEqual({ status: 200, bytes: 5 });
    expect(calls.filter(([kind]) => kind === 'write' || kind === 'end')).toEqual([['write', 'ab'], ['write', 'cde'], ['end', '', true]]);
  });
});

describe('statusLine', () => {
  it('uses the reason phrase given, or the standard one', () => {
    expect(statusLine(404)).toBe('404 Not Found');
    expect(statusLine(200, 'Fine')).toBe('200 Fine');
    expect(statusLine(599)).toBe('599 Unknown');
  });
});
