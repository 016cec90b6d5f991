import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createClientErrorHandler } from '../src/http/client-error.js';
import { enforceRequestDeadlines } from '../src/http/request-deadlines.js';
import type { Logger } from '../src/logging/error-log.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function httpServer(): Server {
  const server = createServer((_req, res) => res.end('ok'));
  server.on('clientError', createClientErrorHandler({ debug: () => {} } as unknown as Logger));
  closers.push(() => new Promise((resolve) => {
    server.closeAllConnections();
    if (server.listening) server.close(() => resolve());
    else resolve();
  }));
  return server;
}

/** What a client that sends half a request head receives until the server closes the connection. */
async function halfHeadAnswer(port: number): Promise<{ text: string; ms: number }> {
  const started = performance.now();
  const socket: Socket = connect(port, '127.0.0.1');
  socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
  let text = '';
  socket.setEncoding('latin1').on('data', (chunk: string) => (text += chunk));
  await once(socket, 'close');
  return { text, ms: performance.now() - started };
}

describe('enforceRequestDeadlines', () => {
  it('adds no connection listener to a server that listens (node checks its deadlines itself)', async () => {
    const server = httpServer();
    const before = server.listenerCount('connection');
    enforceRequestDeadlines(server, { headersTimeoutMs: 300, requestTimeoutMs: 0 });
    expect(server.listenerCount('connection')).toBe(before + 1);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    expect(server.listenerCount('connection')).toBe(before);
  });

  it('answers 408 to a slow request head on a server that is handed its connections and never listens', async () => {
    const server = httpServer();
    enforceRequestDeadlines(server, { headersTimeoutMs: 300, requestTimeoutMs: 0 });
    const front = createNetServer((socket) => server.emit('connection', socket));
    closers.push(() => new Promise((resolve) => front.close(() => resolve())));
    front.listen(0, '127.0.0.1');
    await once(front, 'listening');
    const { text, ms } = await halfHeadAnswer((front.address() as AddressInfo).port);
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(5000);
  });
});
