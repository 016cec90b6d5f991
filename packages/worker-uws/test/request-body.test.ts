import { describe, expect, it } from 'vitest';
import type { HttpResponse } from '../src/native.js';
import { BODY_HIGH_WATER_MARK, RequestBody, type BodyWatcher } from '../src/request-body.js';
import type { RequestHead } from '../src/request-head.js';
import { toWebRequest } from '../src/web-request.js';

/**
 * What a request body uses of uWS's HttpResponse: onData (fed by the test), pause and resume. Like uWS's
 * chunk, the ArrayBuffer `feed` passes is valid during the call only: it is overwritten afterwards, so
 * bytes kept without a copy would show it.
 */
function fakeResponse(): { res: HttpResponse; feed: (chunk: Uint8Array, last: boolean) => void; paused: () => boolean } {
  let onData: ((chunk: ArrayBuffer, last: boolean) => void) | undefined;
  let paused = false;
  const res = {
    onData: (cb: (chunk: ArrayBuffer, last: boolean) => void) => void (onData = cb),
    pause: () => void (paused = true),
    resume: () => void (paused = false),
  } as unknown as HttpResponse;
  const feed = (chunk: Uint8Array, last: boolean): void => {
    const lent = new Uint8Array(chunk);
    onData!(lent.buffer, last);
    lent.fill(0xee);
  };
  return { res, feed, paused: () => paused };
}

function watcher(bodyLimit = 0): BodyWatcher & { over: Error[]; ended: number } {
  const w = {
    over: [] as Error[],
    ended: 0,
    failBody: undefined as ((err: Error) => void) | undefined,
    bodyLimit,
    bodyEnded: () => void w.ended++,
    bodyOverLimit: (err: Error) => void w.over.push(err),
  };
  return w;
}

const bytes = (length: number, value: number): Uint8Array => new Uint8Array(length).fill(value);

describe('RequestBody read whole', () => {
  it('collects the chunks into one buffer of the declared length, exactly as long', async () => {
    const { res, feed } = fakeResponse();
    const w = watcher();
    const body = new RequestBody(res, w, 10);
    const whole = body.whole();
    feed(bytes(4, 1), false);
    feed(bytes(6, 2), true);
    const result = await whole;
    expect(Array.from(result)).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 2, 2]);
    expect(result.byteOffset).toBe(0);
    expect(result.buffer.byteLength).toBe(10);
    expect(Buffer.isBuffer(result)).toBe(false); // a plain Uint8Array, as undici's bytes() gives
    expect(w.ended).toBe(1);
  });

  it('bytes that came before the app asked are kept; the socket pauses after a window and resumes when asked', async () => {
    const { res, feed, paused } = fakeResponse();
    const body = new RequestBody(res, watcher(), BODY_HIGH_WATER_MARK + 10);
    feed(bytes(BODY_HIGH_WATER_MARK, 7), false);
    expect(paused()).toBe(true);
    const whole = body.whole();
    expect(paused()).toBe(false);
    feed(bytes(10, 8), true);
    const result = await whole;
    expect(result.byteLength).toBe(BODY_HIGH_WATER_MARK + 10);
    expect(result[0]).toBe(7);
    expect(result[BODY_HIGH_WATER_MARK]).toBe(8);
  });

  it('a body that ended before the app asked resolves at once', async () => {
    const { res, feed } = fakeResponse();
    const body = new RequestBody(res, watcher(), 3);
    feed(bytes(3, 5), true);
    expect(Array.from(await body.whole())).toEqual([5, 5, 5]);
  });

  it('a body shorter than declared (never, from uWS) still resolves with what came', async () => {
    const { res, feed } = fakeResponse();
    const body = new RequestBody(res, watcher(), 100);
    const whole = body.whole();
    feed(bytes(3, 5), true);
    const result = await whole;
    expect(result.byteLength).toBe(3);
    expect(result.buffer.byteLength).toBe(3);
  });

  it('a declared length far over what arrives does not allocate it up front', async () => {
    const { res, feed } = fakeResponse();
    const body = new RequestBody(res, watcher(), 2 ** 40); // 1 TiB: allocating it would throw
    const whole = body.whole();
    feed(bytes(5, 1), true);
    expect((await whole).byteLength).toBe(5);
  });

  it('crossing limit_request_body rejects with PRE_ERR_BODY_TOO_LARGE, tells the watcher, and ignores later chunks', async () => {
    const { res, feed } = fakeResponse();
    const w = watcher(8);
    const body = new RequestBody(res, w, 20);
    const whole = body.whole();
    feed(bytes(5, 1), false);
    feed(bytes(4, 1), false);
    feed(bytes(1, 1), true);
    await expect(whole).rejects.toMatchObject({ code: 'PRE_ERR_BODY_TOO_LARGE' });
    expect(w.over).toHaveLength(1);
    expect(w.ended).toBe(0);
  });

  it('request_timeout (failBody) rejects the read with its error', async () => {
    const { res, feed } = fakeResponse();
    const w = watcher();
    const body = new RequestBody(res, w, 20);
    const whole = body.whole();
    feed(bytes(5, 1), false);
    w.failBody!(new Error('request_timeout'));
    await expect(whole).rejects.toThrow('request_timeout');
  });
});

describe('RequestBody streamed', () => {
  it('bytes buffered before the app asked come first, then the rest', async () => {
    const { res, feed } = fakeResponse();
    const body = new RequestBody(res, watcher(), 6);
    feed(bytes(2, 1), false);
    const stream = body.stream();
    feed(bytes(4, 2), true);
    expect(Array.from(new Uint8Array(await new Response(stream).arrayBuffer()))).toEqual([1, 1, 2, 2, 2, 2]);
  });

  it('a stream taken after the body failed fails with the same error', async () => {
    const { res, feed } = fakeResponse();
    const w = watcher(2);
    const body = new RequestBody(res, w, 6);
    feed(bytes(3, 1), false);
    await expect(new Response(body.stream()).arrayBuffer()).rejects.toMatchObject({ code: 'PRE_ERR_BODY_TOO_LARGE' });
  });
});

describe('the Request a fetch app gets, with a body', () => {
  const head = (length: number): RequestHead => ({
    method: 'POST', url: '/up', headers: ['host', 'h', 'content-length', String(length), 'content-type', 'application/json'], host: 'h',
    hasBody: true, contentLength: length, forwarded: false, rejection: null, connection: 'keep-alive',
  });

  function post(text: string): { request: Request; feed: (chunk: Uint8Array, last: boolean) => void } {
    const { res, feed } = fakeResponse();
    const length = Buffer.byteLength(text);
    return { request: toWebRequest(head(length), res, false, watcher()), feed };
  }

  it('text(), json(), arrayBuffer() and bytes() read the body as undici would, once', async () => {
    const text = '\ufeff{"a":"é"}';
    for (const read of ['text', 'json', 'arrayBuffer', 'bytes'] as const) {
      const { request, feed } = post(text);
      expect(request.bodyUsed).toBe(false);
      const result = ((request as unknown as Record<string, () => Promise<unknown>>)[read]!).call(request);
      expect(request.bodyUsed).toBe(true);
      const encoded = Buffer.from(text);
      feed(encoded.subarray(0, 4), false);
      feed(encoded.subarray(4), true);
      const value = await result;
      if (read === 'text') expect(value).toBe('{"a":"é"}'); // the BOM dropped, as undici's text()
      else if (read === 'json') expect(value).toEqual({ a: 'é' });
      else if (read === 'arrayBuffer') expect(Buffer.from(value as ArrayBuffer).equals(encoded)).toBe(true);
      else expect(Buffer.from(value as Uint8Array).equals(encoded)).toBe(true);
      await expect(request.text()).rejects.toThrow(TypeError);
      expect(() => new Request(request)).toThrow(TypeError); // a used body cannot be taken over
    }
  });

  it('request.body streams the bytes, and a Request built from it carries them', async () => {
    const { request, feed } = post('hello');
    const stream = request.body!;
    expect(stream).toBeInstanceOf(ReadableStream);
    feed(Buffer.from('hel'), false);
    feed(Buffer.from('lo'), true);
    const copy = new Request('http://other/', { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expect(await copy.text()).toBe('hello');
    expect(request.bodyUsed).toBe(true);
  });

  it('new Request(request) before reading takes the body over; clone() tees it', async () => {
    const { request, feed } = post('abc');
    const clone = request.clone();
    const copy = new Request(request);
    feed(Buffer.from('abc'), true);
    expect(await copy.text()).toBe('abc');
    expect(await clone.text()).toBe('abc');
  });

  it('a malformed JSON body rejects with a SyntaxError', async () => {
    const { request, feed } = post('{');
    const result = request.json();
    feed(Buffer.from('{'), true);
    await expect(result).rejects.toThrow(SyntaxError);
  });
});
