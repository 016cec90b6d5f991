// Peer: one @hono/node-server process with a Hono app on $PORT, and a `ws` echo on its http.Server.
import { pbkdf2Sync } from 'node:crypto';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { WebSocketServer } from 'ws';
import { ASYNC_MS, CPU_ITERATIONS } from '../apps/routes.js';

const HELLO = 'Hello, World!\n';
const BODY_64K = new Uint8Array(64 * 1024).fill(120);
const app = new Hono()
  .get('/', (c) => c.text(HELLO))
  .get('/async', async (c) => {
    await new Promise((r) => setTimeout(r, ASYNC_MS));
    return c.text(HELLO);
  })
  .get('/cpu', (c) => c.text(pbkdf2Sync('pw', 'salt', CPU_ITERATIONS, 32, 'sha256').toString('hex')))
  .get('/64k', (c) => c.body(BODY_64K, 200, { 'content-type': 'application/octet-stream' }))
  .post('/upload', async (c) => c.text(String((await c.req.arrayBuffer()).byteLength)));

const server = serve({ fetch: app.fetch, port: Number(process.env.PORT), hostname: '127.0.0.1' }, () =>
  console.log(`hono listening on ${process.env.PORT}`),
);
const wss = new WebSocketServer({ server });
wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
process.on('SIGTERM', () => process.exit(0));
