import { createHash } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, freePort, startPre, stopAll } from '../helpers/pre.js';
import { nativeUwsAvailable } from '../helpers/uws.js';

afterEach(stopAll);

const APP = path.join(FIXTURES, 'uws-binary-app.js');
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

async function startUws(): Promise<string> {
  const pre = startPre([APP, '-k', 'uws', '-b', `127.0.0.1:${await freePort()}`, '--log-level', 'debug']);
  return pre.ready(1);
}

/**
 * GET `path` on a raw socket and read the response at the client's own pace: `readChunk` bytes per
 * `read()`, the next read one event-loop turn later. Resolves with the headers and the body.
 */
function slowGet(port: number, urlPath: string, readChunk: number, stopAfter = Infinity): Promise<{ head: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let received = 0;
    let head: string | undefined;
    let length = 0;
    const finish = (): void => {
      socket.destroy();
      const all = Buffer.concat(chunks);
      resolve({ head: head ?? '', body: all });
    };
    const readSome = (): void => {
      let chunk: Buffer | null;
      while ((chunk = socket.read(Math.min(readChunk, socket.readableLength || readChunk)) as Buffer | null) !== null) {
        if (head === undefined) {
          chunks.push(chunk);
          const buffered = Buffer.concat(chunks);
          const end = buffered.indexOf('\r\n\r\n');
          if (end === -1) continue;
          head = buffered.subarray(0, end).toString('latin1');
          length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? NaN);
          chunks.length = 0;
          chunks.push(buffered.subarray(end + 4));
          received = buffered.length - end - 4;
        } else {
          chunks.push(chunk);
          received += chunk.length;
        }
        if (received >= length || received >= stopAfter) return finish();
        return void setImmediate(readSome); // one chunk per turn: a slow reader
      }
      socket.once('readable', readSome);
    };
    socket.on('error', reject);
    socket.on('end', () => (head !== undefined && received >= length ? undefined : reject(new Error(`connection ended after ${received} of ${length} body bytes`))));
    socket.write(`GET ${urlPath} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    socket.once('readable', readSome);
  });
}

describe.skipIf(!nativeUwsAvailable)('uws: binary bodies', () => {
  it('sends a 1 MiB Buffer body intact, from a sync and an async handler, several times on one connection', async () => {
    const url = await startUws();
    for (const route of ['/mib', '/mib-async', '/mib', '/mib-async']) {
      const res = await request(`${url}${route}`);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-length']).toBe(String(1 << 20));
      expect(res.headers['content-type']).toBeUndefined(); // undici sets none for bytes
      const body = Buffer.from(await res.body.arrayBuffer());
      expect(body.length).toBe(1 << 20);
      expect(sha256(body)).toBe(res.headers['x-sha256']);
    }
  });

  it('sends a Uint8Array view (its own bytes only) and an ArrayBuffer, copied at construction like undici', async () => {
    const url = await startUws();
    const u8 = await request(`${url}/u8`);
    expect(u8.statusCode).toBe(201);
    expect([...new Uint8Array(await u8.body.arrayBuffer())]).toEqual([2, 3, 4]);
    const ab = await request(`${url}/ab`);
    expect(ab.headers['content-type']).toBe('text/x-ab');
    expect(await ab.body.text()).toBe('hi');
    const mutated = await request(`${url}/mutated`);
    expect(await mutated.body.text()).toBe('before');
  });

  it('answers 500 for a detached ArrayBuffer (undici refuses it) and keeps serving', async () => {
    const url = await startUws();
    const res = await request(`${url}/detached`);
    expect(res.statusCode).toBe(500);
    await res.body.dump();
    expect((await request(`${url}/u8`)).statusCode).toBe(201);
  });

  it('answers HEAD with the Content-Length of the body and no body', async () => {
    const url = await startUws();
    const res = await request(`${url}/mib`, { method: 'HEAD' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-length']).toBe(String(1 << 20));
    expect((await res.body.arrayBuffer()).byteLength).toBe(0);
    const after = await request(`${url}/u8`); // the connection (and the server) still work
    expect([...new Uint8Array(await after.body.arrayBuffer())]).toEqual([2, 3, 4]);
  });

  it('gives a slow reader every byte of a 16 MiB body (more than the socket buffers: backpressure)', async () => {
    const url = await startUws();
    const port = Number(new URL(url).port);
    const { head, body } = await slowGet(port, '/big', 64 * 1024);
    expect(head).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(body.length).toBe(16 << 20);
    expect(sha256(body)).toBe(/x-sha256: ([0-9a-f]+)/i.exec(head)?.[1]);
  }, 60_000);

  it('gives a slow reader every byte of a 256 KiB body (sent with one end(): uWS buffers what the socket cannot take)', async () => {
    const url = await startUws();
    const port = Number(new URL(url).port);
    for (let i = 0; i < 3; i++) {
      const { head, body } = await slowGet(port, '/kib256', 4 * 1024);
      expect(head).toMatch(/^HTTP\/1\.1 200 OK/);
      expect(body.length).toBe(256 * 1024);
      expect(sha256(body)).toBe(/x-sha256: ([0-9a-f]+)/i.exec(head)?.[1]);
    }
  }, 60_000);

  it('survives a client that leaves in the middle of a backpressured body', async () => {
    const url = await startUws();
    const port = Number(new URL(url).port);
    const { body } = await slowGet(port, '/big', 64 * 1024, 1 << 20);
    expect(body.length).toBeGreaterThanOrEqual(1 << 20);
    const res = await request(`${url}/mib`);
    expect(sha256(Buffer.from(await res.body.arrayBuffer()))).toBe(res.headers['x-sha256']);
  }, 60_000);
});
