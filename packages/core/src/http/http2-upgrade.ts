import type { Socket } from 'node:net';

/**
 * h2c by `Upgrade: h2c` (RFC 9113 §3.1 gives it up, RFC 7540 §3.2 defines it; Gunicorn 26's
 * `http2_cleartext = upgrade`). The first request head of a cleartext connection is read here; one that
 * asks for h2c cleanly (no body, exactly one valid HTTP2-Settings, nothing odd) is answered `101` and
 * the connection goes to node:http2, with the request put in front of the client's frames as stream 1
 * (a HEADERS frame of HPACK literals, put after the client's first SETTINGS frame). Anything else goes to node:http's parser untouched, so a request
 * this strict reader does not understand is judged by node:http as if there were no upgrade path.
 */

/** What a client with prior knowledge sends first (RFC 9113 §3.4). */
export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** The answer that switches the connection (RFC 7540 §3.2). */
export const SWITCHING_PROTOCOLS = Buffer.from('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n', 'latin1');

/** The longest request head read for an upgrade; a longer one is node:http's to judge (431). */
export const MAX_UPGRADE_HEAD = 64 * 1024;

/** The largest frame payload every HTTP/2 server accepts before SETTINGS (RFC 9113 §4.2). */
const MIN_MAX_FRAME_SIZE = 16384;

const FRAME_SETTINGS = 0x4;
const FRAME_HEADERS = 0x1;
const FLAG_END_STREAM = 0x1;
const FLAG_END_HEADERS = 0x4;

/** Fields that belong to the HTTP/1.1 connection, not the request (RFC 9113 §8.2.2), and Host (→ :authority). */
const CONNECTION_SPECIFIC = new Set(['connection', 'upgrade', 'http2-settings', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'host']);

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) (\/[\x21-\x7e]*) HTTP\/1\.1$/;
const FIELD_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*(.*?)[ \t]*$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

/** A request that asked for h2c and may have it: the frames to put in front of the client's. */
export interface H2cUpgrade {
  /** The request as stream 1: HEADERS with END_STREAM and END_HEADERS. */
  readonly headersFrame: Buffer;
}

/**
 * The upgrade `head` (a request head up to and without its blank line) asks for, or null when it does
 * not ask for h2c or asks in a way this reader does not take: a body (Content-Length other than 0,
 * Transfer-Encoding), HTTP2-Settings missing, repeated or invalid, no single Host, anything but an
 * origin-form HTTP/1.1 request, a field this reader finds odd, or a header block too large for one frame.
 */
export function parseUpgradeRequest(head: string): H2cUpgrade | null {
  const lines = head.split('\r\n');
  if (lines.some((line) => line.includes('\r') || line.includes('\n'))) return null;
  const requestLine = REQUEST_LINE.exec(lines[0] ?? '');
  if (!requestLine) return null;
  const [, method, target] = requestLine as unknown as [string, string, string];
  if (method === 'CONNECT') return null;
  const fields: [string, string][] = [];
  for (const line of lines.slice(1)) {
    const field = FIELD_LINE.exec(line);
    if (!field || !FIELD_VALUE.test(field[2]!)) return null;
    fields.push([field[1]!.toLowerCase(), field[2]!]);
  }
  const all = (name: string): string[] => fields.filter(([n]) => n === name).map(([, value]) => value);
  const tokens = (name: string): string[] => all(name).flatMap((value) => value.split(',')).map((t) => t.trim().toLowerCase()).filter(Boolean);

  if (!tokens('upgrade').includes('h2c')) return null;
  const connection = tokens('connection');
  if (!connection.includes('upgrade') || !connection.includes('http2-settings')) return null;
  if (all('transfer-encoding').length > 0) return null;
  const lengths = all('content-length');
  if (lengths.length > 1 || (lengths.length === 1 && lengths[0] !== '0')) return null;
  const hosts = all('host');
  if (hosts.length !== 1 || hosts[0] === '') return null;
  const encodedSettings = all('http2-settings');
  if (encodedSettings.length !== 1) return null;
  // Checked, not replayed: a SETTINGS frame put in front of the client's would be acknowledged by
  // node:http2, and clients (nghttp2, curl) take an ACK they did not ask for as a protocol error. The
  // client sends the same settings in its own first SETTINGS frame after the preface.
  if (!decodeSettings(encodedSettings[0]!)) return null;

  const dropped = new Set([...CONNECTION_SPECIFIC, ...connection.filter((t) => TOKEN.test(t))]);
  const headerList: [string, string][] = [[':method', method], [':scheme', 'http'], [':authority', hosts[0]!], [':path', target]];
  for (const [name, value] of fields) {
    if (dropped.has(name)) continue;
    if (name === 'te' && value.toLowerCase() !== 'trailers') continue; // the one TE HTTP/2 allows (RFC 9113 §8.2.2)
    headerList.push([name, value]);
  }
  const block = hpackLiterals(headerList);
  if (block.length > MIN_MAX_FRAME_SIZE) return null;
  return { headersFrame: frame(FRAME_HEADERS, FLAG_END_STREAM | FLAG_END_HEADERS, 1, block) };
}

/** The SETTINGS payload of an HTTP2-Settings value (base64url), or null when it is not a valid one (RFC 9113 §6.5.2). */
export function decodeSettings(value: string): Buffer | null {
  if (!BASE64URL.test(value)) return null;
  const payload = Buffer.from(value.replace(/=+$/, ''), 'base64url');
  if (payload.length % 6 !== 0) return null;
  for (let offset = 0; offset < payload.length; offset += 6) {
    const id = payload.readUInt16BE(offset);
    const setting = payload.readUInt32BE(offset + 2);
    if (id === 0x2 && setting > 1) return null; // ENABLE_PUSH
    if (id === 0x4 && setting > 2 ** 31 - 1) return null; // INITIAL_WINDOW_SIZE
    if (id === 0x5 && (setting < MIN_MAX_FRAME_SIZE || setting > 16777215)) return null; // MAX_FRAME_SIZE
  }
  return payload;
}

/** A header block of HPACK "literal header field without indexing — new name" representations (RFC 7541 §6.2.2). */
export function hpackLiterals(headers: readonly (readonly [string, string])[]): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of headers) {
    parts.push(Buffer.of(0x00), hpackString(name), hpackString(value));
  }
  return Buffer.concat(parts);
}

/** An HPACK string literal, not Huffman-coded: a 7-bit-prefix length (RFC 7541 §5.1, §5.2), then the octets. */
function hpackString(text: string): Buffer {
  const octets = Buffer.from(text, 'latin1');
  const length: number[] = [];
  let n = octets.length;
  if (n < 127) {
    length.push(n);
  } else {
    length.push(127);
    n -= 127;
    while (n >= 128) {
      length.push((n % 128) + 128);
      n = Math.floor(n / 128);
    }
    length.push(n);
  }
  return Buffer.concat([Buffer.from(length), octets]);
}

/** One HTTP/2 frame (RFC 9113 §4.1). */
function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header.writeUInt8(type, 3);
  header.writeUInt8(flags, 4);
  header.writeUInt32BE(streamId, 5);
  return Buffer.concat([header, payload]);
}

/** Where a request head ends (after its blank line) in `bytes`, or -1 while it has not ended. */
export function headEnd(bytes: Buffer): number {
  const at = bytes.indexOf('\r\n\r\n', 0, 'latin1');
  return at < 0 ? -1 : at + 4;
}

/**
 * Answers `101` on `socket`, waits for the client's connection preface and first SETTINGS frame, and
 * hands the connection to `serveHttp2` with the request as stream 1 right after that SETTINGS frame. A client that sends anything else, or too little for `timeoutMs`, loses the connection.
 */
export function switchToHttp2(socket: Socket, upgrade: H2cUpgrade, timeoutMs: number, serveHttp2: (socket: Socket) => void, onDone: () => void): void {
  let buffered: Buffer = Buffer.alloc(0);
  const timer = timeoutMs > 0 ? setTimeout(() => socket.destroy(), timeoutMs) : null;
  const finish = (): void => {
    if (timer) clearTimeout(timer);
    socket.removeListener('readable', onReadable);
    socket.removeListener('close', finish);
    onDone();
  };
  const onReadable = (): void => {
    let chunk: Buffer | null;
    while ((chunk = socket.read() as Buffer | null) !== null) buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    const prefix = Math.min(buffered.length, PREFACE.length);
    if (!buffered.subarray(0, prefix).equals(PREFACE.subarray(0, prefix))) {
      finish();
      socket.destroy();
      return;
    }
    const settingsAt = PREFACE.length;
    if (buffered.length < settingsAt + 9) return;
    if (buffered.readUInt8(settingsAt + 3) !== FRAME_SETTINGS) {
      finish();
      socket.destroy();
      return;
    }
    const settingsEnd = settingsAt + 9 + buffered.readUIntBE(settingsAt, 3);
    if (buffered.length < settingsEnd) return;
    finish();
    socket.unshift(Buffer.concat([
      buffered.subarray(0, settingsEnd), upgrade.headersFrame, buffered.subarray(settingsEnd),
    ]));
    serveHttp2(socket);
  };
  socket.on('readable', onReadable);
  socket.once('close', finish);
  socket.write(SWITCHING_PROTOCOLS);
}
