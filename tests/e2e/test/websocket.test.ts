import path from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FIXTURES, freePort, ROOT, startPre, stopAll, waitFor } from '../helpers/pre.js';
import { nativeUwsAvailable } from '../helpers/uws.js';

afterEach(stopAll);

const ECHO = path.join(FIXTURES, 'ws-echo.js');
const CHAT = path.join(ROOT, 'apps/chat');


/** A WebSocket client that records what it receives. */
class Client {
  readonly ws: WebSocket;
  readonly messages: (string | Buffer)[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  pings = 0;

  constructor(url: string, headers: Record<string, string> = {}) {
    this.ws = new WebSocket(url, { headers });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)));
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.ws.on('message', (data: Buffer, isBinary) => this.messages.push(isBinary ? data : data.toString()));
    this.ws.on('ping', () => this.pings++);
    this.ws.on('error', () => {});
  }

  /** The first message (from index `from`) matching `test`. */
  next(test: (m: string | Buffer) => boolean, what: string, from = 0): Promise<string | Buffer> {
    return waitFor(() => this.messages.slice(from).find(test), what, 20_000);
  }

  text(expected: string): Promise<string | Buffer> {
    return this.next((m) => m === expected, JSON.stringify(expected));
  }
}

const clients: Client[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.ws.terminate();
});
function connect(url: string, headers?: Record<string, string>): Client {
  const client = new Client(url, headers);
  clients.push(client);
  return client;
}

const CLASSES = [
  { workerClass: 'async', available: true },
  { workerClass: 'uws', available: nativeUwsAvailable },
] as const;

describe.each(CLASSES)('WebSockets on $workerClass', ({ workerClass, available }) => {
  async function start(app: string, args: string[] = []) {
    const port = await freePort();
    const pre = startPre([app, '-k', workerClass, '-b', `127.0.0.1:${port}`, '--log-level', 'debug', ...args]);
    const url = await pre.ready(1);
    return { pre, url, wsUrl: url.replace('http', 'ws') };
  }

  it.skipIf(!available)('echoes text and binary, with the upgrade data, and still serves HTTP', async () => {
    const { pre, url, wsUrl } = await start(ECHO);
    const client = connect(`${wsUrl}/room?x=1`, { 'x-agent': 'tester' });
    await client.opened;
    await client.text('welcome sync tester /room?x=1 addr');
    client.ws.send('hello');
    await client.text('echo:hello');
    client.ws.send(Buffer.from([0, 1, 2, 255]));
    const binary = await client.next((m) => Buffer.isBuffer(m), 'a binary echo');
    expect([...(binary as Buffer)]).toEqual([0, 1, 2, 255]);
    expect(await (await request(`${url}/`)).body.text()).toBe('http ok');

    const later = connect(`${wsUrl}/async`);
    await later.text('welcome async - /async addr');
    later.ws.send('close');
    expect(await later.closed).toEqual({ code: 4000, reason: 'asked to' });
    // A socket the app closed from an async handler must not hold up the graceful stop.
    client.ws.terminate();
    pre.signal('SIGTERM');
    expect(await pre.exited).toEqual({ code: 0, signal: null });
  });

  it.skipIf(!available)('refuses an upgrade the app declines with 403', async () => {
    const { wsUrl } = await start(ECHO);
    const client = connect(`${wsUrl}/forbidden`);
    await expect(client.opened).rejects.toThrow('status 403');
  });

  it.skipIf(!available)('broadcasts between the members of the chat app', async () => {
    const { url, wsUrl } = await start(CHAT);
    const ann = connect(`${wsUrl}/chat?name=ann`);
    await ann.opened;
    await ann.next((m) => String(m).includes('ann joined'), 'ann joined');
    const bob = connect(`${wsUrl}/chat?name=bob`);
    await bob.opened;
    await ann.next((m) => String(m).includes('bob joined (2 here)'), 'bob joined, seen by ann');
    bob.ws.send('hi all');
    for (const member of [ann, bob]) await member.text(JSON.stringify({ from: 'bob', text: 'hi all' }));
    expect(await (await request(`${url}/members`)).body.json()).toEqual({ count: 2 });
    bob.ws.close();
    await ann.next((m) => String(m).includes('bob left'), 'bob left');
    const html = await request(`${url}/`);
    expect(await html.body.text()).toContain('new WebSocket');
  });

  it.skipIf(!available)('closes a connection whose message exceeds maxPayloadLength, and keeps serving', async () => {
    const { wsUrl } = await start(ECHO);
    const client = connect(wsUrl);
    await client.opened;
    client.ws.send('x'.repeat(1024)); // at the limit: fine
    await client.text(`echo:${'x'.repeat(1024)}`);
    client.ws.send('x'.repeat(1025));
    const { code } = await client.closed;
    // `ws` answers 1009 (Message Too Big); uWS drops the connection without a close frame (1006).
    expect(code).toBe(workerClass === 'async' ? 1009 : 1006);
    const again = connect(wsUrl);
    await again.opened;
    again.ws.send('still here');
    await again.text('echo:still here');
  });

  it.skipIf(!available)('reports backpressure from send and calls drain once it clears', async () => {
    const { wsUrl } = await start(ECHO);
    const client = connect(wsUrl);
    await client.opened;
    client.ws.send('flood');
    await client.text('flood buffered');
    await client.text('drained');
  });

  it.skipIf(!available)('pings an idle connection to keep it alive', async () => {
    const { wsUrl } = await start(ECHO); // idleTimeout: 8 s
    const client = connect(wsUrl);
    await client.opened;
    await waitFor(() => client.pings > 0, 'a keep-alive ping', 30_000);
    client.ws.send('after ping');
    await client.text('echo:after ping');
  });

  it.skipIf(!available)('graceful stop closes open WebSockets with 1001 after in-flight messages', async () => {
    const { pre, wsUrl } = await start(ECHO);
    const busy = connect(wsUrl);
    const idle = connect(wsUrl);
    await Promise.all([busy.opened, idle.opened]);
    busy.ws.send('slow:600');
    await pre.waitForLog(/slow message started/);
    pre.signal('SIGTERM');
    expect((await idle.closed).code).toBe(1001);
    const closed = await busy.closed;
    expect(busy.messages).toContain('slow done');
    expect(closed).toEqual({ code: 1001, reason: 'Server shutting down' });
    expect((await pre.exited).code).toBe(0);
  });
});

describe('WebSockets for a Node request-listener app (async)', () => {
  it('takes the handlers from the module\'s websocket export', async () => {
    const port = await freePort();
    const pre = startPre([path.join(FIXTURES, 'ws-node-listener.js'), '-b', `127.0.0.1:${port}`, '--log-level', 'debug']);
    const url = await pre.ready(1);
    expect(await (await request(`${url}/`)).body.text()).toBe('node listener');
    const client = connect(url.replace('http', 'ws'));
    await client.opened;
    client.ws.send('ping?');
    await client.text('node:ping?');
  });
});
