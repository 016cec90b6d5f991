import http2, { type IncomingHttpHeaders } from 'node:http2';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PREFACE, decodeSettings, headEnd, hpackLiterals, parseUpgradeRequest } from '../src/http/http2-upgrade.js';

const SETTINGS = 'AAMAAABkAAQAAP__'; // MAX_CONCURRENT_STREAMS 100, INITIAL_WINDOW_SIZE 65535
const ASKS = ['Host: example.test:8000', 'Connection: Upgrade, HTTP2-Settings', 'Upgrade: h2c'];

function head(requestLine: string, fields: string[]): string {
  return [requestLine, ...fields].join('\r\n');
}

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** The headers node:http2's server decodes from `headersFrame`, sent as stream 1 after the preface and an empty SETTINGS. */
async function decodedByNode(headersFrame: Buffer): Promise<IncomingHttpHeaders> {
  const server = http2.createServer();
  const seen = new Promise<IncomingHttpHeaders>((resolve) => server.on('stream', (stream, headers) => {
    stream.respond({ ':status': 200 });
    stream.end();
    resolve(headers);
  }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
  socket.on('error', () => {});
  closers.push(() => {
    socket.destroy();
    server.close();
  });
  socket.write(Buffer.concat([PREFACE, Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]), headersFrame]));
  return seen;
}

describe('parseUpgradeRequest', () => {
  it('turns an upgrade request into a HEADERS frame for stream 1 that node:http2 decodes: pseudo-headers, fields, long values', async () => {
    const long = 'v'.repeat(300);
    const upgrade = parseUpgradeRequest(head('GET /a/b?c=1 HTTP/1.1', [...ASKS, `HTTP2-Settings: ${SETTINGS}`, 'X-One: a', `X-Long: ${long}`, 'Keep-Alive: timeout=5', 'TE: trailers', 'Accept: */*']));
    expect(upgrade).not.toBeNull();
    const frame = upgrade!.headersFrame;
    expect(frame.readUInt8(3)).toBe(0x1); // HEADERS
    expect(frame.readUInt8(4)).toBe(0x5); // END_STREAM | END_HEADERS
    expect(frame.readUInt32BE(5)).toBe(1);
    const headers = await decodedByNode(frame);
    expect(headers).toMatchObject({ ':method': 'GET', ':scheme': 'http', ':authority': 'example.test:8000', ':path': '/a/b?c=1', 'x-one': 'a', 'x-long': long, te: 'trailers', accept: '*/*' });
    for (const name of ['host', 'connection', 'upgrade', 'http2-settings', 'keep-alive']) expect(headers[name]).toBeUndefined();
  });

  it('drops the fields Connection names and a TE other than trailers', () => {
    const upgrade = parseUpgradeRequest(head('GET / HTTP/1.1', ['Host: h', 'Connection: Upgrade, HTTP2-Settings, X-Hop', 'Upgrade: h2c', `HTTP2-Settings: ${SETTINGS}`, 'X-Hop: 1', 'TE: gzip', 'X-Keep: 2']));
    const block = upgrade!.headersFrame.subarray(9).toString('latin1');
    expect(block).toContain('x-keep');
    expect(block).not.toContain('x-hop');
    expect(block).not.toContain('te\u0004gzip');
  });

  it.each([
    ['no Upgrade: h2c', head('GET / HTTP/1.1', ['Host: h', 'Connection: Upgrade, HTTP2-Settings', 'Upgrade: websocket', `HTTP2-Settings: ${SETTINGS}`])],
    ['Connection without HTTP2-Settings', head('GET / HTTP/1.1', ['Host: h', 'Connection: Upgrade', 'Upgrade: h2c', `HTTP2-Settings: ${SETTINGS}`])],
    ['no HTTP2-Settings', head('GET / HTTP/1.1', ASKS)],
    ['two HTTP2-Settings', head('GET / HTTP/1.1', [...ASKS, `HTTP2-Settings: ${SETTINGS}`, `HTTP2-Settings: ${SETTINGS}`])],
    ['an invalid HTTP2-Settings', head('GET / HTTP/1.1', [...ASKS, 'HTTP2-Settings: A+/='])],
    ['a Content-Length', head('POST / HTTP/1.1', [...ASKS, `HTTP2-Settings: ${SETTINGS}`, 'Content-Length: 3'])],
    ['a Transfer-Encoding', head('POST / HTTP/1.1', [...ASKS, `HTTP2-Settings: ${SETTINGS}`, 'Transfer-Encoding: chunked'])],
    ['two Hosts', head('GET / HTTP/1.1', [...ASKS, 'Host: other', `HTTP2-Settings: ${SETTINGS}`])],
    ['no Host', head('GET / HTTP/1.1', ['Connection: Upgrade, HTTP2-Settings', 'Upgrade: h2c', `HTTP2-Settings: ${SETTINGS}`])],
    ['HTTP/1.0', head('GET / HTTP/1.0', [...ASKS, `HTTP2-Settings: ${SETTINGS}`])],
    ['an absolute-form target', head('GET http://h/ HTTP/1.1', [...ASKS, `HTTP2-Settings: ${SETTINGS}`])],
    ['CONNECT', head('CONNECT / HTTP/1.1', [...ASKS, `HTTP2-Settings: ${SETTINGS}`])],
    ['a folded field', head('GET / HTTP/1.1', [...ASKS, `HTTP2-Settings: ${SETTINGS}`, 'X-A: 1', ' folded'])],
    ['a bare LF', head('GET / HTTP/1.1', [...ASKS, `HTTP2-Settings: ${SETTINGS}`, 'X-A: 1\nX-B: 2'])],
    ['a control character in a value', head('GET / HTTP/1.1', [...ASKS, `HTTP2-Settings: ${SETTINGS}`, 'X-A: a\u0000b'])],
    ['a header block larger than one frame', head('GET / HTTP/1.1', [...ASKS, `HTTP2-Settings: ${SETTINGS}`, `X-Big: ${'b'.repeat(17000)}`])],
  ])('stays HTTP/1.1 for %s', (_what, requestHead) => {
    expect(parseUpgradeRequest(requestHead)).toBeNull();
  });

  it('takes Content-Length: 0, case-insensitive names and tokens, and an empty HTTP2-Settings', () => {
    expect(parseUpgradeRequest(head('GET / HTTP/1.1', ['host: h', 'CONNECTION: upgrade,http2-settings', 'upgrade: H2C', 'http2-settings: ', 'Content-Length: 0']))).not.toBeNull();
  });
});

describe('decodeSettings', () => {
  it('decodes base64url SETTINGS payloads and refuses bad ones', () => {
    expect(decodeSettings(SETTINGS)).toEqual(Buffer.from([0, 3, 0, 0, 0, 100, 0, 4, 0, 0, 0xff, 0xff]));
    expect(decodeSettings('')).toEqual(Buffer.alloc(0));
    expect(decodeSettings('AAMAAABk')).not.toBeNull();
    expect(decodeSettings('AAMAAA')).toBeNull(); // 4 bytes: not whole settings
    expect(decodeSettings('AAIAAAAC')).toBeNull(); // ENABLE_PUSH 2
    expect(decodeSettings('AASAAAAA')).toBeNull(); // INITIAL_WINDOW_SIZE 2^31
    expect(decodeSettings('AAUAAAAB')).toBeNull(); // MAX_FRAME_SIZE 1
    expect(decodeSettings('AAMA+AB/')).toBeNull(); // base64, not base64url
  });
});

describe('hpackLiterals', () => {
  it('encodes string lengths with a 7-bit prefix (RFC 7541 §5.1)', () => {
    const lengthBytes = (n: number): number[] => [...hpackLiterals([['a', 'x'.repeat(n)]]).subarray(3, 3 + (n < 127 ? 1 : n < 255 ? 2 : 3))];
    expect(lengthBytes(126)).toEqual([126]);
    expect(lengthBytes(127)).toEqual([0x7f, 0x00]);
    expect(lengthBytes(300)).toEqual([0x7f, 0xad, 0x01]);
  });
});

describe('headEnd', () => {
  it('finds the end of a request head', () => {
    expect(headEnd(Buffer.from('GET / HTTP/1.1\r\nHost: h\r\n\r\nrest'))).toBe(27);
    expect(headEnd(Buffer.from('GET / HTTP/1.1\r\nHost: h\r\n'))).toBe(-1);
  });
});
