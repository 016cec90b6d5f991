import { describe, expect, it } from 'vitest';
import { snapshotBytes } from '../src/body-snapshot.js';
import { installLightResponse, responseParts } from '../src/light-response.js';

const big = (fill: number): Uint8Array => new Uint8Array(64 * 1024).fill(fill);

describe('snapshotBytes', () => {
  it('hands out the same copy while the source is unchanged', () => {
    const source = big(1);
    const first = snapshotBytes(source);
    expect(first).not.toBe(source);
    expect(snapshotBytes(source)).toBe(first);
  });

  it('takes a new copy once the source changed, and the old copy keeps the old bytes', () => {
    const source = big(1);
    const first = snapshotBytes(source);
    source[100] = 7;
    const second = snapshotBytes(source);
    expect(second).not.toBe(first);
    expect(first[100]).toBe(1);
    expect(second[100]).toBe(7);
  });

  it('copies small bodies every time and keys an ArrayBuffer by itself', () => {
    const small = new Uint8Array([1, 2, 3]);
    expect(snapshotBytes(small)).not.toBe(snapshotBytes(small));
    const buffer = big(2).buffer as ArrayBuffer;
    const copy = snapshotBytes(buffer);
    expect(snapshotBytes(buffer)).toBe(copy);
    new Uint8Array(buffer)[0] = 9;
    expect(copy[0]).toBe(2);
    expect(snapshotBytes(buffer)[0]).toBe(9);
  });

  it('a same-length view over other bytes of the buffer is another source', () => {
    const buffer = new Uint8Array(128 * 1024);
    buffer.fill(3, 64 * 1024);
    const low = snapshotBytes(buffer.subarray(0, 64 * 1024));
    const high = snapshotBytes(buffer.subarray(64 * 1024));
    expect(low[0]).toBe(0);
    expect(high[0]).toBe(3);
  });
});

// The light Response is installed only where Node's undici internals it forwards to exist (Node 20, 22).
installLightResponse();
const LIGHT = responseParts(new Response('probe')) !== undefined;

describe('a light Response body', () => {
  it.runIf(LIGHT)('keeps the bytes it was built with, as undici does', async () => {
    const source = big(4);
    const before = new Response(source);
    source.fill(5);
    const after = new Response(source);
    expect((responseParts(before)?.body as Uint8Array)[0]).toBe(4);
    expect((responseParts(after)?.body as Uint8Array)[0]).toBe(5);
    expect(new Uint8Array(await before.arrayBuffer())[0]).toBe(4);
  });
});

describe('light Response headers', () => {
  it.runIf(LIGHT)('checks each name every time, though valid ones are remembered lower-cased', () => {
    for (let i = 0; i < 3; i++) expect(responseParts(new Response('x', { headers: { 'X-Seen': '1' } }))?.headers).toEqual(['x-seen', '1', 'content-type', 'text/plain;charset=UTF-8']);
    expect(() => new Response('x', { headers: { 'X-Seen': '1', 'bad name': '2' } })).toThrow(TypeError); // the native Response refuses it
    expect(responseParts(new Response('x', { headers: { 'X-Seen': ' padded ' } }))).toBeUndefined(); // values are checked each time
  });
});
