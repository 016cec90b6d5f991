import { closeSync, openSync, readFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeHungHttp2Response } from '../src/hung-http2-response.js';

/** Frames in `bytes`: [type, flags, stream id, payload]. */
function frames(bytes: Buffer): [number, number, number, Buffer][] {
  const out: [number, number, number, Buffer][] = [];
  for (let i = 0; i + 9 <= bytes.length;) {
    const length = bytes.readUIntBE(i, 3);
    out.push([bytes[i + 3]!, bytes[i + 4]!, bytes.readUInt32BE(i + 5) & 0x7fffffff, bytes.subarray(i + 9, i + 9 + length)]);
    i += 9 + length;
  }
  return out;
}

function written(stream: number, headersSent: boolean): Buffer {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'pre-h2-hung-')), 'out');
  const fd = openSync(file, 'w');
  expect(writeHungHttp2Response(fd, stream, headersSent)).toBe(true);
  closeSync(fd);
  return readFileSync(file);
}

describe('writeHungHttp2Response', () => {
  it('a 503 HEADERS frame ending the stream (static-table names, no dynamic-table change), then GOAWAY naming that stream', () => {
    const [headers, goaway] = frames(written(5, false));
    expect(headers!.slice(0, 3)).toEqual([1, 0x5, 5]); // HEADERS, END_STREAM | END_HEADERS
    expect(headers![3]).toEqual(Buffer.from([0x08, 0x03, 0x35, 0x30, 0x33, 0x0f, 0x0d, 0x01, 0x30]));
    expect(goaway!.slice(0, 3)).toEqual([7, 0, 0]);
    expect(goaway![3].readUInt32BE(0)).toBe(5);
    expect(goaway![3].readUInt32BE(4)).toBe(2); // INTERNAL_ERROR
  });

  it('RST_STREAM INTERNAL_ERROR when the response had started', () => {
    const [reset, goaway] = frames(written(7, true));
    expect(reset!.slice(0, 3)).toEqual([3, 0, 7]);
    expect(reset![3].readUInt32BE(0)).toBe(2);
    expect(goaway![0]).toBe(7);
  });

  it('false on an fd that does not take it', () => {
    expect(writeHungHttp2Response(-1, 1, false)).toBe(false);
  });
});
