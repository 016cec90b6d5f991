import { readFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, ROOT, runPre, startPre, stopAll } from '../helpers/pre.js';
import { nativeUwsAvailable } from '../helpers/uws.js';

afterEach(stopAll);

/** The samples in apps/, as a user names them on the command line. */
const APPS = {
  express: 'apps/express',
  koa: 'apps/koa',
  fastify: 'apps/fastify:create()',
  hono: 'apps/hono',
  'node-http': 'apps/node-http',
} as const;
type AppName = keyof typeof APPS;

const NODE_LISTENERS: AppName[] = ['express', 'koa', 'fastify', 'node-http'];

const REPORT = readFileSync(path.join(ROOT, 'apps/express/files/report.csv'), 'utf8');


async function serve(app: AppName, workerClass: string): Promise<string> {
  const bind = workerClass === 'uws' ? `127.0.0.1:${await freePort()}` : '127.0.0.1:0';
  const pre = startPre([APPS[app], '-k', workerClass, '-b', bind, '--log-level', 'debug']);
  return pre.ready(1);
}

/** What every sample answers, whatever its framework and whatever worker class serves it. */
async function expectTheSampleRoutes(url: string, workerClass: string): Promise<void> {
  const home = await request(`${url}/`);
  expect(home.statusCode).toBe(200);
  expect(await home.body.text()).toMatch(/^Hello from /);

  const user = await request(`${url}/users/42`);
  expect(user.statusCode).toBe(200);
  expect(user.headers['content-type']).toMatch(/^application\/json/);
  expect(await user.body.json()).toEqual({ id: 42, name: 'user 42' });

  const payload = { name: 'Ada', tags: ['x', 'y'], nested: { n: 1.5 } };
  const echo = await request(`${url}/echo`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload),
  });
  expect(echo.statusCode).toBe(201);
  expect(await echo.body.json()).toEqual({ received: payload });

  const stream = await request(`${url}/stream`);
  expect(stream.statusCode).toBe(200);
  expect(await stream.body.text()).toBe('chunk 1\nchunk 2\nchunk 3\nchunk 4\nchunk 5\n');
  // Written in pieces over time, so sent without a length (chunked on HTTP/1.1).
  expect(stream.headers['content-length']).toBeUndefined();
  if (workerClass !== 'uws') expect(stream.headers['transfer-encoding']).toBe('chunked');

  const download = await request(`${url}/download`);
  expect(download.statusCode).toBe(200);
  expect(download.headers['content-disposition']).toMatch(/^attachment; filename="?report\.csv"?$/);
  expect(download.headers['content-type']).toMatch(/^text\/csv/);
  expect(await download.body.text()).toBe(REPORT);

  const error = await request(`${url}/error`);
  expect(error.statusCode).toBe(500);
  await error.body.text();

  // The error did not take the worker down.
  const after = await request(`${url}/users/7`);
  expect(after.statusCode).toBe(200);
  expect(((await after.body.json()) as { id: number }).id).toBe(7);
}

describe.each(['async', 'sync', 'threads'])('the framework samples on worker class %s', (workerClass) => {
  it.each(Object.keys(APPS) as AppName[])('%s: routing, JSON in and out, a stream, a download and a 500', async (app) => {
    const url = await serve(app, workerClass);
    await expectTheSampleRoutes(url, workerClass);
  });
});

describe('the framework samples on worker class uws', () => {
  it.skipIf(!nativeUwsAvailable)('hono (a fetch app): routing, JSON in and out, a stream, a download and a 500', async () => {
    const url = await serve('hono', 'uws');
    await expectTheSampleRoutes(url, 'uws');
  });

  it.each(NODE_LISTENERS)('%s (a node listener) is refused with a message that names the way out', async (app) => {
    const { code, stderr } = await runPre([APPS[app], '-k', 'uws', '-b', `127.0.0.1:${await freePort()}`]);
    expect(code).toBe(3);
    expect(stderr).toContain('the uws worker class serves fetch-style apps');
    expect(stderr).toContain('--worker-class async');
  });
});

describe('the Fastify sample', () => {
  it('needs its factory, which awaits fastify.ready(): without it the message says what pre was given', async () => {
    const { code, stderr } = await runPre(['--check-config', 'apps/fastify']);
    expect(code).toBe(4);
    expect(stderr).toContain('exports no app');
    expect((await runPre(['--check-config', APPS.fastify])).code).toBe(0);
  });
});
