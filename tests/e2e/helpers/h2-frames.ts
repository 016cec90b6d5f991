import net from 'node:net';
import { readFileSync } from 'node:fs';

/** A tiny HTTP/2 frame writer and reader for the attack tests (RFC 9113 §4, HPACK literals only). */
export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
export const FRAME = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8, CONTINUATION: 9 } as const;
export const FLAG = { END_STREAM: 1, ACK: 1, END_HEADERS: 4 } as const;

export function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

/** HPACK "literal header field without indexing, new name" (RFC 7541 §6.2.2), no Huffman; short strings only. */
export function hpackLiteral(name: string, value: string): Buffer {
  const n = Buffer.from(name, 'latin1');
  const v = Buffer.from(value, 'latin1');
  if (n.length > 126 || v.length > 126) throw new Error('hpackLiteral: strings must be shorter than 127 bytes');
  return Buffer.concat([Buffer.from([0x00, n.length]), n, Buffer.from([v.length]), v]);
}

export function requestBlock(path: string, authority = '127.0.0.1'): Buffer {
  return Buffer.concat([
    hpackLiteral(':method', 'GET'), hpackLiteral(':scheme', 'http'), hpackLiteral(':path', path), hpackLiteral(':authority', authority),
  ]);
}

export const settingsFrame = (): Buffer => frame(FRAME.SETTINGS, 0, 0);
export const settingsAck = (): Buffer => frame(FRAME.SETTINGS, FLAG.ACK, 0);
export const rstStream = (streamId: number, code = 8 /* CANCEL */): Buffer => {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(code);
  return frame(FRAME.RST_STREAM, 0, streamId, payload);
};
export const ping = (n: number): Buffer => {
  const payload = Buffer.alloc(8);
  payload.writeUInt32BE(n >>> 0, 4);
  return frame(FRAME.PING, 0, 0, payload);
};

/** What the server sent back, counted by frame type; and whether it closed the connection. */
export class FrameCounter {
  readonly counts = new Map<number, number>();
  goawayCode: number | null = null;
  bytes = 0;
  #buffer: Buffer = Buffer.alloc(0);

  feed(chunk: Buffer): void {
    this.bytes += chunk.length;
    this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
    while (this.#buffer.length >= 9) {
      const length = this.#buffer.readUIntBE(0, 3);
      if (this.#buffer.length < 9 + length) break;
      const type = this.#buffer[3]!;
      this.counts.set(type, (this.counts.get(type) ?? 0) + 1);
      if (type === FRAME.GOAWAY && length >= 8) this.goawayCode = this.#buffer.readUInt32BE(9 + 4);
      this.#buffer = this.#buffer.subarray(9 + length);
    }
  }

  count(type: number): number {
    return this.counts.get(type) ?? 0;
  }
}

export interface RawH2 {
  socket: net.Socket;
  frames: FrameCounter;
  closed: Promise<void>;
  /** Writes, resolving when the kernel took it (or the socket is gone). */
  write(data: Buffer): Promise<boolean>;
}

/** A raw connection to 127.0.0.1:`port` that has sent the preface and an empty SETTINGS. */
export async function rawH2(port: number, { read = true } = {}): Promise<RawH2> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.on('error', () => {});
  const frames = new FrameCounter();
  if (read) socket.on('data', (chunk: Buffer) => frames.feed(chunk));
  else socket.pause();
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const write = (data: Buffer): Promise<boolean> => new Promise((resolve) => {
    if (socket.destroyed || !socket.writable) return resolve(false);
    socket.write(data, (err) => resolve(!err));
  });
  await write(Buffer.concat([PREFACE, settingsFrame(), settingsAck()]));
  return { socket, frames, closed, write };
}

/** A process's resident memory, in MB (Linux). */
export function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : NaN;
}
