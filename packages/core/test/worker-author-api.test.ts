// What docs/writing-a-worker.md promises worker authors about HttpDrain and countResponseBytes, checked on real sockets.
import { once } from 'node:events';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DRAIN_IDLE_MS, HttpDrain, countResponseBytes, requestEnded } from '../src/index.js';

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) server.closeAllConnections();
});

async function listen(handler: http.RequestListener, drain: HttpDrain): Promise<number> {
  const server = http.createServer(handler);
  drain.track(server);
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** Opens a connection and sends one request; resolves once the server has the request. */
async function sendRequest(port: number, arrived: Promise<unknown>): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {}); // closeAll resets it
  await once(socket, 'connect');
  socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  await arrived;
  return socket;
}

describe('HttpDrain', () => {
  it('drain() after closeAll() resolves once the dropped connections have closed', async () => {
    const drain = new HttpDrain();
    let requestArrived!: () => void;
    const arrived = new Promise<void>((resolve) => (requestArrived = resolve));
    const port = await listen(() => requestArrived(), drain); // never answers: a request stays in flight
    const socket = await sendRequest(port, arrived);
    const clientClosed = once(socket, 'close');
    expect(drain.connections).toBe(1);
    drain.closeAll();
    const started = performance.now();
    await drain.drain();
    expect(drain.connections).toBe(0);
    expect(performance.now() - started).toBeLessThan(2_000);
    await clientClosed;
  });

  it('drain() alone waits for the request in flight', async () => {
    const drain = new HttpDrain();
    let respond!: () => void;
    let requestArrived!: () => void;
    const arrived = new Promise<void>((resolve) => (requestArrived = resolve));
    const port = await listen((_req, res) => {
      respond = () => res.end('done');
      requestArrived();
    }, drain);
    const socket = await sendRequest(port, arrived);
    let drained = false;
    const draining = drain.drain().then(() => (drained = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(drained).toBe(false);
    respond();
    await draining;
    expect(drained).toBe(true);
    socket.destroy();
  });
});

describe('HttpDrain.trackConnections (the request listener reports each request)', () => {
  it('waits for the request in flight, answers it with Connection: close, then closes the idle connection', async () => {
    const drain = new HttpDrain();
    let respond!: () => void;
    let requestArrived!: () => void;
    const arrived = new Promise<void>((resolve) => (requestArrived = resolve));
    const server = http.createServer((req, res) => {
      drain.requestStarted(req, res);
      res.on('close', requestEnded);
      respond = () => res.end('done');
      requestArrived();
    });
    drain.trackConnections(server);
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const socket = await sendRequest((server.address() as AddressInfo).port, arrived);
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    const clientClosed = once(socket, 'close');
    let drained = false;
    const draining = drain.drain().then(() => (drained = true));
    await new Promise((resolve) => setTimeout(resolve, DRAIN_IDLE_MS + 100));
    expect(drained).toBe(false);
    expect(drain.connections).toBe(1);
    respond();
    await draining;
    await clientClosed;
    expect(received).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(received.toLowerCase()).toContain('connection: close');
    expect(drain.connections).toBe(0);
  });

  it('closes a connection idle since its last response once it has been idle for DRAIN_IDLE_MS, not before', async () => {
    const drain = new HttpDrain();
    let requestArrived!: () => void;
    const arrived = new Promise<void>((resolve) => (requestArrived = resolve));
    const server = http.createServer((req, res) => {
      drain.requestStarted(req, res);
      res.on('close', requestEnded);
      res.end('done');
      requestArrived();
    });
    drain.trackConnections(server);
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const socket = await sendRequest((server.address() as AddressInfo).port, arrived);
    await once(socket, 'data');
    const clientClosed = once(socket, 'close');
    const started = performance.now();
    await drain.drain();
    await clientClosed;
    expect(performance.now() - started).toBeGreaterThanOrEqual(DRAIN_IDLE_MS - 50);
    expect(drain.connections).toBe(0);
  });
});

/** A raw keep-alive connection: `ask` sends a request and resolves to its whole response head (bodies are 'ok'). */
async function rawConnection(port: number): Promise<{ socket: net.Socket; ask: (path?: string) => Promise<string>; closed: Promise<unknown> }> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  const closed = once(socket, 'close');
  await once(socket, 'connect');
  let buffered = '';
  let waiting: ((head: string) => void) | null = null;
  socket.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('latin1');
    const end = buffered.indexOf('\r\n\r\nok');
    if (end < 0 || !waiting) return;
    const head = buffered.slice(0, end);
    buffered = buffered.slice(end + 6);
    waiting(head);
  });
  const ask = (path = '/'): Promise<string> => new Promise((resolve) => {
    waiting = resolve;
    socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
  });
  return { socket, ask, closed };
}

describe('HttpDrain#shed (keepalive_rebalance)', () => {
  it('chooses distinct connections, the ones used last first; each closes after its next response, none is cut while idle', async () => {
    const drain = new HttpDrain();
    const port = await listen((_req, res) => res.end('ok'), drain);
    const [a, b, c] = await Promise.all([rawConnection(port), rawConnection(port), rawConnection(port)]);
    for (const conn of [c!, a!, b!]) expect((await conn.ask()).toLowerCase()).toContain('connection: keep-alive');
    // Used last: b, then a.
    expect(drain.shed(2)).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(drain.connections).toBe(3); // idle connections are left open: their clients may be sending right now
    expect((await b!.ask()).toLowerCase()).toContain('connection: close');
    expect((await a!.ask()).toLowerCase()).toContain('connection: close');
    expect((await c!.ask()).toLowerCase()).toContain('connection: keep-alive');
    await Promise.all([a!.closed, b!.closed]);
    expect(c!.socket.destroyed).toBe(false);
    // One close per connection: only c is left to choose, whatever the count.
    expect(drain.shed(5)).toBe(1);
    expect((await c!.ask()).toLowerCase()).toContain('connection: close');
    await c!.closed;
    expect(drain.shed(1)).toBe(0);
  });

  it('a response still being prepared says Connection: close itself', async () => {
    const drain = new HttpDrain();
    let respond!: () => void;
    let arrived!: () => void;
    const held = new Promise<void>((resolve) => (arrived = resolve));
    const port = await listen((_req, res) => {
      respond = () => res.end('ok');
      arrived();
    }, drain);
    const conn = await rawConnection(port);
    const answer = conn.ask();
    await held;
    expect(drain.shed(1)).toBe(1);
    respond();
    expect((await answer).toLowerCase()).toContain('connection: close');
    await conn.closed;
  });
});

describe('countResponseBytes', () => {
  it('counts the body bytes an app writes, strings in their encoding and buffers', async () => {
    const drain = new HttpDrain();
    let counted: () => number = () => -1;
    const finished = new Promise<void>((resolve) => {
      void listen((_req, res) => {
        counted = countResponseBytes(res);
        res.write('héllo '); // 7 bytes in UTF-8
        res.write(Buffer.from([1, 2, 3]));
        res.write('00ff', 'hex'); // 2 bytes
        res.end('!', () => resolve());
      }, drain).then((port) => http.get({ port, host: '127.0.0.1' }, (res) => res.resume()));
    });
    await finished;
    expect(counted()).toBe(7 + 3 + 2 + 1);
  });
});
