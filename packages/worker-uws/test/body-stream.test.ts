import { describe, expect, it } from 'vitest';
import type { HttpResponse } from '../src/native.js';
import { bodyStream, type BodyWatcher } from '../src/web-request.js';

/** What bodyStream uses of uWS's HttpResponse: onData (fed by the test), pause and resume. */
function fakeResponse(): { res: HttpResponse; feed: (chunk: Uint8Array, last: boolean) => void } {
  let onData: ((chunk: ArrayBuffer, last: boolean) => void) | undefined;
  const res = {
    onData: (cb: (chunk: ArrayBuffer, last: boolean) => void) => void (onData = cb),
    pause: () => {},
    resume: () => {},
  } as unknown as HttpResponse;
  const feed = (chunk: Uint8Array, last: boolean): void => onData!(chunk.slice().buffer, last);
  return { res, feed };
}

function watcher(bodyLimit: number): BodyWatcher & { over: Error[]; ended: number } {
  const w = {
    over: [] as Error[],
    ended: 0,
    failBody: undefined,
    bodyLimit,
    bodyEnded: () => void w.ended++,
    bodyOverLimit: (err: Error) => void w.over.push(err),
  };
  return w;
}

describe('bodyStream and limit_request_body', () => {
  it('a body at the limit arrives whole', async () => {
    const { res, feed } = fakeResponse();
    const w = watcher(8);
    const stream = bodyStream(res, w, 8);
    feed(new Uint8Array(5).fill(1), false);
    feed(new Uint8Array(3).fill(2), true);
    expect(new Uint8Array(await new Response(stream).arrayBuffer())).toEqual(new Uint8Array([1, 1, 1, 1, 1, 2, 2, 2]));
    expect(w.over).toEqual([]);
    expect(w.ended).toBe(1);
  });

  it('the chunk that crosses the limit is not delivered: the stream fails with PRE_ERR_BODY_TOO_LARGE and the watcher is told', async () => {
    const { res, feed } = fakeResponse();
    const w = watcher(8);
    const stream = bodyStream(res, w, 8);
    const reader = stream.getReader();
    feed(new Uint8Array(5).fill(1), false);
    expect((await reader.read()).value).toEqual(new Uint8Array(5).fill(1));
    feed(new Uint8Array(4).fill(2), false);
    feed(new Uint8Array(1).fill(3), true); // ignored: the body is over
    await expect(reader.read()).rejects.toMatchObject({ code: 'PRE_ERR_BODY_TOO_LARGE' });
    expect(w.over).toHaveLength(1);
    expect(w.ended).toBe(0);
  });

  it('limit 0 counts nothing', async () => {
    const { res, feed } = fakeResponse();
    const w = watcher(0);
    const stream = bodyStream(res, w, 8);
    feed(new Uint8Array(1 << 16), true);
    expect((await new Response(stream).arrayBuffer()).byteLength).toBe(1 << 16);
    expect(w.over).toEqual([]);
  });
});
