// An ordinary Hono 4 app: a fetch handler, served as it is by every worker class (uws included).
// Run it with:  pre apps/hono
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { stream } from 'hono/streaming';

const REPORT = fileURLToPath(new URL('./files/report.csv', import.meta.url));
const app = new Hono();

app.get('/', (c) => c.text('Hello from Hono\n'));

app.get('/pid', (c) => c.text(String(process.pid)));

app.get('/users/:id', (c) => {
  const id = c.req.param('id');
  return c.json({ id: Number(id), name: `user ${id}` });
});

app.post('/echo', async (c) => c.json({ received: await c.req.json() }, 201));

app.get('/stream', (c) => {
  c.header('content-type', 'text/plain; charset=utf-8');
  return stream(c, async (out) => {
    for (let i = 1; i <= 5; i++) {
      await out.write(`chunk ${i}\n`);
      await out.sleep(20);
    }
  });
});

app.get('/download', (c) => {
  c.header('content-type', 'text/csv');
  c.header('content-disposition', 'attachment; filename="report.csv"');
  return c.body(Readable.toWeb(createReadStream(REPORT)));
});

app.get('/error', () => {
  throw new Error('boom (on purpose)');
});

export default app;
