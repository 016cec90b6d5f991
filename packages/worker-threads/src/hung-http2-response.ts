import { writeSync } from 'node:fs';

/** HTTP/2 frame types and flags (RFC 9113 §6). */
const HEADERS = 0x1;
const RST_STREAM = 0x3;
const GOAWAY = 0x7;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const INTERNAL_ERROR = 0x2;

/**
 * The 503's header block in HPACK (RFC 7541), literals without indexing on static-table names only, so
 * the client's dynamic table (which the thread's encoder shares with it) is left as it is:
 * `:status: 503` (name 8), `content-length: 0` (name 28). No body: DATA would need flow-control window
 * the main thread cannot know.
 */
const BLOCK_503 = Buffer.from([0x08, 0x03, ...Buffer.from('503'), 0x0f, 0x0d, 0x01, ...Buffer.from('0')]);

function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

function u32s(...values: number[]): Buffer {
  const buffer = Buffer.alloc(values.length * 4);
  values.forEach((value, i) => buffer.writeUInt32BE(value >>> 0, i * 4));
  return buffer;
}

/**
 * What the main thread writes on the cleartext HTTP/2 connection of a stream whose thread is stuck,
 * straight to the fd (the thread's event loop, which owns the session, cannot): a 503 on that stream if
 * its response has not started, else RST_STREAM INTERNAL_ERROR; then GOAWAY with that stream as the
 * last one processed (the stuck stream is the last the thread started), since the connection goes with
 * the thread. False if the socket would not take it all.
 */
export function writeHungHttp2Response(fd: number, stream: number, headersSent: boolean): boolean {
  const answer = headersSent
    ? frame(RST_STREAM, 0, stream, u32s(INTERNAL_ERROR))
    : frame(HEADERS, END_HEADERS | END_STREAM, stream, BLOCK_503);
  const bytes = Buffer.concat([answer, frame(GOAWAY, 0, 0, u32s(stream, INTERNAL_ERROR))]);
  try {
    return writeSync(fd, bytes) === bytes.length;
  } catch {
    return false;
  }
}
