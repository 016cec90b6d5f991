// An ordinary Fastify 5 app. Fastify must finish loading its plugins (`ready()`) before it serves,
// so pre calls a factory:  pre 'apps/fastify:create()'
// Fastify's serverFactory hands us its request handler; pre owns the sockets, so the server it
// returns is never listened on.
import { createReadStream } from 'node:fs';
import { createServer } from 'node:http';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';

const REPORT = fileURLToPath(new URL('./files/report.csv', import.meta.url));

async function* chunks() {
  for (let i = 1; i <= 5; i++) {
    yield `chunk ${i}\n`;
    await sleep(20);
  }
}

/** The routes, as a Fastify plugin. */
async function routes(fastify) {
  fastify.get('/', async (request, reply) => {
    reply.type('text/plain');
    return 'Hello from Fastify\n';
  });

  fastify.get('/pid', async (request, reply) => {
    reply.type('text/plain');
    return String(process.pid);
  });

  fastify.get('/users/:id', async (request) => {
    return { id: Number(request.params.id), name: `user ${request.params.id}` };
  });

  fastify.post('/echo', async (request, reply) => {
    reply.code(201);
    return { received: request.body };
  });

  fastify.get('/stream', (request, reply) => {
    reply.type('text/plain').send(Readable.from(chunks()));
  });

  fastify.get('/download', (request, reply) => {
    reply.header('content-disposition', 'attachment; filename="report.csv"').type('text/csv').send(createReadStream(REPORT));
  });

  fastify.get('/error', async () => {
    throw new Error('boom (on purpose)');
  });
}

/** Builds the app, waits until every plugin has loaded, and returns its request handler. */
export async function create() {
  let handler;
  const fastify = Fastify({
    serverFactory(fastifyHandler) {
      handler = fastifyHandler;
      return createServer();
    },
  });
  await fastify.register(routes);
  await fastify.ready();
  return handler;
}
