// An ordinary Koa 3 app with @koa/router; pre detects a Koa instance and serves its callback().
// Run it with:  pre apps/koa
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import Router from '@koa/router';
import Koa from 'koa';

const REPORT = fileURLToPath(new URL('./files/report.csv', import.meta.url));
const app = new Koa();
const router = new Router();

/** JSON request bodies (what @koa/bodyparser does, in a few lines). */
async function jsonBody(ctx, next) {
  if (ctx.request.type === 'application/json') {
    let text = '';
    for await (const chunk of ctx.req) text += chunk;
    try {
      ctx.request.body = JSON.parse(text);
    } catch {
      ctx.throw(400, 'Invalid JSON');
    }
  }
  await next();
}

async function* chunks() {
  for (let i = 1; i <= 5; i++) {
    yield `chunk ${i}\n`;
    await sleep(20);
  }
}

router.get('/', (ctx) => {
  ctx.body = 'Hello from Koa\n';
});

router.get('/pid', (ctx) => {
  ctx.body = String(process.pid);
});

router.get('/users/:id', (ctx) => {
  ctx.body = { id: Number(ctx.params.id), name: `user ${ctx.params.id}` };
});

router.post('/echo', jsonBody, (ctx) => {
  ctx.status = 201;
  ctx.body = { received: ctx.request.body };
});

router.get('/stream', (ctx) => {
  ctx.type = 'text';
  ctx.body = Readable.from(chunks());
});

router.get('/download', (ctx) => {
  ctx.attachment('report.csv');
  ctx.body = createReadStream(REPORT);
});

router.get('/error', () => {
  throw new Error('boom (on purpose)');
});

app.use(router.routes()).use(router.allowedMethods());

export default app;
