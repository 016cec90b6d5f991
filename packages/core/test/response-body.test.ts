import { describe, expect, it } from 'vitest';
import { inMemoryResponseBody } from '../src/app/response-body.js';

// Node 20/22 keep the body init in undici's state; later versions may not (then the stream path is used).
const probeWorks = inMemoryResponseBody(new Response('x')) !== undefined;

describe('inMemoryResponseBody', () => {
  it.runIf(probeWorks)('gives a string or bytes body with its byte length', () => {
    expect(inMemoryResponseBody(new Response('h\u00e9'))).toMatchObject({ source: 'h\u00e9', length: 3 });
    const bytes = new Uint8Array([1, 2, 3]);
    expect(inMemoryResponseBody(new Response(bytes))?.length).toBe(3);
  });

  it.runIf(probeWorks)('gives nothing once the body was read or locked', async () => {
    const read = new Response('abc');
    await read.text();
    expect(inMemoryResponseBody(read)).toBeUndefined();
    const locked = new Response('abc');
    locked.body!.getReader();
    expect(inMemoryResponseBody(locked)).toBeUndefined();
  });

  it('gives nothing for a streamed body or no body', () => {
    const stream = new ReadableStream({ start: (c) => c.close() });
    expect(inMemoryResponseBody(new Response(stream))).toBeUndefined();
    expect(inMemoryResponseBody(new Response(null))).toBeUndefined();
  });

  it.runIf(Number(process.versions.node.split('.')[0]) <= 22)('is found on Node 20 and 22, where pre relies on it for speed', () => {
    expect(probeWorks).toBe(true);
  });
});
