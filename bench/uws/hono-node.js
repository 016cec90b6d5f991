// Peer: the Hono app on @hono/node-server, one process.
import { serve } from '@hono/node-server';
import app from './hono-app.js';

serve({ fetch: app.fetch, port: Number(process.env.PORT), hostname: '127.0.0.1' }, () => console.log('listening'));
