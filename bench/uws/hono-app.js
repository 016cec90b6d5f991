// The same Hono app for `pre -k uws` and for @hono/node-server.
import { Hono } from 'hono';

const app = new Hono();
app.get('/', (c) => c.text('Hello, World!'));
app.get('/json', (c) => c.json({ hello: 'world', n: 42 }));
app.get('/users/:id', (c) => c.json({ id: c.req.param('id') }));
export default app;
