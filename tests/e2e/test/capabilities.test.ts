import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTestPki } from '../helpers/certs.js';
import { clientLoop } from '../helpers/client.js';
import { FIXTURES, freePort, runPre, startPre, stopAll, waitFor, type PreProcess } from '../helpers/pre.js';
import { nativeUwsAvailable } from '../helpers/uws.js';

afterEach(stopAll);

const FETCH_APP = path.join(FIXTURES, 'uws-app.js'); // a fetch app with /pid; async serves it too
const PLAIN = `${path.join(FIXTURES, 'plain-worker.js')}:PlainWorker`;
const NOT_A_WORKER = `${path.join(FIXTURES, 'not-a-worker.js')}:NotAWorker`;

const booting = (stderr: string): number => [...stderr.matchAll(/Booting worker with pid/g)].length;

describe('a setting the worker class cannot honour is refused at start-up, naming the setting and the class', () => {
  it('uws with --headers-timeout/--keep-alive/--backlog: exit 3 before binding or forking, one line per setting', async () => {
    const port = await freePort();
    const { code, stderr } = await runPre([FETCH_APP, '-k', 'uws', '-b', `127.0.0.1:${port}`, '--headers-timeout', '5', '--keep-alive', '10', '--backlog', '100']);
    expect(code).toBe(3);
    expect(stderr).toContain("worker class 'uws' cannot honour headers_timeout = 5");
    expect(stderr).toContain("worker class 'uws' cannot honour keepalive = 10 (keep-alive)");
    expect(stderr).toContain("worker class 'uws' cannot honour backlog = 100");
    expect(booting(stderr)).toBe(0);
    expect(stderr).not.toContain('Listening at');
  });

  it('sync refuses a keepalive above 0 and a worker_connections limit (it closes every connection); keepalive 0 is fine', async () => {
    const refused = await runPre([FETCH_APP, '-k', 'sync', '-b', '127.0.0.1:0', '--keep-alive', '10', '--worker-connections', '50']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain("worker class 'sync' cannot honour keepalive = 10 (keep-alive): use --worker-class async or threads");
    expect(refused.stderr).toContain("worker class 'sync' cannot honour worker_connections = 50 (connection limit)");
    const ok = await runPre(['--check-config', FETCH_APP, '-k', 'sync', '--keep-alive', '0']);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
  });

  it('async refuses --threads 2 (only threads and uws run threads)', async () => {
    const { code, stderr } = await runPre([FETCH_APP, '-b', '127.0.0.1:0', '--threads', '2']);
    expect(code).toBe(3);
    expect(stderr).toContain("worker class 'async' cannot honour threads = 2 (threads): use --worker-class threads or uws, or set threads to 1");
  });

  it('a third-party class that declares nothing serves with the defaults, and refuses --certfile with the how-to-declare hint', async () => {
    const pre = startPre([FETCH_APP, '-k', PLAIN, '-b', '127.0.0.1:0', '--log-level', 'debug']);
    const url = await pre.ready(1);
    expect((await request(`${url}/pid`)).statusCode).toBe(200);
    await pre.stop();

    const pki = makeTestPki();
    const { code, stderr } = await runPre([FETCH_APP, '-k', PLAIN, '-b', '127.0.0.1:0', '--certfile', pki.serverCert, '--keyfile', pki.serverKey, '--keep-alive', '10']);
    expect(code).toBe(3);
    expect(stderr).toContain(`worker class '${PLAIN}' cannot honour certfile = ${pki.serverCert} (TLS)`);
    expect(stderr).toContain(`worker class '${PLAIN}' cannot honour keepalive = 10 (keep-alive)`);
    expect(stderr).toContain(`If the class '${PLAIN}' does support this, declare it: static capabilities = { ...Worker.capabilities, tls: true, keepalive: true }`);
    expect(booting(stderr)).toBe(0);
  });
});

describe('--check-config checks the app against the class', () => {
  it('an Express app on uws is not OK: the message names the app shape and the class', async () => {
    const { code, stdout, stderr } = await runPre(['--check-config', 'apps/express', '-k', 'uws']);
    expect(code).toBe(3);
    expect(stdout).not.toContain('Config OK');
    expect(stderr).toContain("worker class 'uws' cannot serve apps/express: the uws worker class serves fetch-style apps only");
    expect(stderr).toContain('is a Node request listener (req, res): use --worker-class async');
  });

  it('a fetch app on uws is OK; settings are checked as at start-up', async () => {
    const ok = await runPre(['--check-config', 'apps/hono', '-k', 'uws']);
    expect(ok.stdout).toContain('Config OK: app apps/hono, worker class uws');
    expect(ok.code).toBe(0);
    const tls = await runPre(['--check-config', 'apps/hono', '-k', 'uws', '--headers-timeout', '5']);
    expect(tls.code).toBe(3);
    expect(tls.stderr).toContain("worker class 'uws' cannot honour headers_timeout = 5 (headers timeout)");
  });

  it('a websocket export on sync is refused (sync serves no WebSockets)', async () => {
    const { code, stderr } = await runPre(['--check-config', 'apps/chat', '-k', 'sync']);
    expect(code).toBe(3);
    expect(stderr).toContain("worker class 'sync' cannot serve the websocket handlers apps/chat exports (WebSockets): use --worker-class async or uws");
  });
});

describe('the app shape at start-up is checked in the worker (the arbiter does not load the app)', () => {
  it('a websocket app on sync with 2 workers: exit 3 with the refusal once, no respawn loop', async () => {
    const started = Date.now();
    const { code, stderr } = await runPre(['apps/chat', '-k', 'sync', '-w', '2', '-b', '127.0.0.1:0']);
    expect(code).toBe(3);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(stderr.match(/cannot serve the websocket handlers apps\/chat exports/g)).toHaveLength(1);
    expect(booting(stderr)).toBeLessThanOrEqual(2);
  });
});

describe('a class that does not extend Worker', () => {
  it('is refused with exit 3 before any worker is spawned, saying to extend Worker from @pre/core', async () => {
    const started = Date.now();
    const { code, stderr } = await runPre([FETCH_APP, '-k', NOT_A_WORKER, '-w', '2', '-b', '127.0.0.1:0']);
    expect(code).toBe(3);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(stderr).toContain('(NotAWorker) does not extend Worker from @pre/core');
    expect(stderr).toContain("import { Worker } from '@pre/core'");
    expect(booting(stderr)).toBe(0);
  });
});

/** A config file whose worker_class (and more) a test rewrites before HUP. */
function configFile(values: Record<string, unknown>): { file: string; write(values: Record<string, unknown>): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pre-caps-'));
  const file = path.join(dir, 'pre.config.mjs');
  const write = (v: Record<string, unknown>): void => writeFileSync(file, `export default ${JSON.stringify(v)};\n`);
  write(values);
  return { file, write };
}

/** HUPs under a keep-alive client loop; the reload must be refused, logged, and cost no request. */
async function expectRefusedReload(pre: PreProcess, url: string, rewrite: () => void, logged: RegExp): Promise<void> {
  const before = pre.bootedWorkers();
  let finish!: () => void;
  const stop = new Promise<void>((resolve) => (finish = resolve));
  const loop = clientLoop(url, stop, { concurrency: 4 });
  await waitFor(async () => (await request(`${url}/pid`)).statusCode === 200, 'a first answer');
  rewrite();
  pre.signal('SIGHUP');
  await pre.waitForLog(logged);
  // After the refusal the old generation goes on serving, beside the loop.
  for (let i = 0; i < 20; i++) {
    const res = await request(`${url}/pid`);
    expect(res.statusCode).toBe(200);
    expect(before).toContain(Number(await res.body.text()));
  }
  finish();
  const result = await loop;
  expect(result.errors).toEqual([]);
  expect(result.failed).toBe(0);
  expect(result.ok).toBeGreaterThan(0);
  expect([...result.pids].every((pid) => before.includes(pid))).toBe(true);
  expect(pre.bootedWorkers().sort()).toEqual(before.sort());
  expect(booting(pre.stderr)).toBe(before.length);
}

describe('HUP', () => {
  it('to a class that refuses the current settings keeps the old generation and logs why', async () => {
    const config = configFile({ worker_class: 'async', worker_connections: 50 });
    const pre = startPre([FETCH_APP, '-c', config.file, '-b', '127.0.0.1:0', '-w', '2', '--log-level', 'debug']);
    const url = await pre.ready(2);
    await expectRefusedReload(pre, url, () => config.write({ worker_class: 'sync', worker_connections: 50 }),
      /Reload failed, keeping the current configuration and workers: worker class 'sync' cannot honour worker_connections = 50 \(connection limit\)/);
    expect(pre.stderr).toContain('Using worker: async');
  });

  it('async → uws is refused (the two cannot share the port during a reload); the old workers serve on', async () => {
    const port = await freePort();
    const config = configFile({ worker_class: 'async' });
    const pre = startPre([FETCH_APP, '-c', config.file, '-b', `127.0.0.1:${port}`, '-w', '2', '--log-level', 'debug']);
    const url = await pre.ready(2);
    await expectRefusedReload(pre, url, () => config.write({ worker_class: 'uws' }),
      /Reload failed, keeping the current configuration and workers: worker_class cannot change from 'async' to 'uws' on a reload: 'uws' binds its own sockets with SO_REUSEPORT and 'async' serves on the arbiter's/);
  });

  it.skipIf(!nativeUwsAvailable)('uws → async is refused the same way; the uws workers serve on', async () => {
    const port = await freePort();
    const config = configFile({ worker_class: 'uws' });
    const pre = startPre([FETCH_APP, '-c', config.file, '-b', `127.0.0.1:${port}`, '-w', '2', '--log-level', 'debug']);
    const url = await pre.ready(2);
    await expectRefusedReload(pre, url, () => config.write({ worker_class: 'async' }),
      /Reload failed, keeping the current configuration and workers: worker_class cannot change from 'uws' to 'async' on a reload/);
  });

  it('to a class that refuses the app (checked in the new workers): the old generation keeps serving', async () => {
    const fetchOnly = `${path.join(FIXTURES, 'plain-worker.js')}:FetchOnlyWorker`;
    const config = configFile({ worker_class: 'async' });
    const pre = startPre([path.join(FIXTURES, 'node-pid.js'), '-c', config.file, '-b', '127.0.0.1:0', '--log-level', 'debug']);
    const url = await pre.ready(1);
    const [first] = pre.bootedWorkers();
    config.write({ worker_class: fetchOnly });
    pre.signal('SIGHUP');
    await pre.waitForLog(new RegExp(`Reload failed, the previous workers keep serving[^\\n]*:\\nworker class '${fetchOnly.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}' cannot serve`), 20_000);
    const res = await request(`${url}/pid`);
    expect(res.statusCode).toBe(200);
    expect(Number(await res.body.text())).toBe(first);
    expect(pre.bootedWorkers()).toEqual([first]);
  });

  it('after a refused reload, a good one goes through', async () => {
    const config = configFile({ worker_class: 'async', worker_connections: 50 });
    const pre = startPre([FETCH_APP, '-c', config.file, '-b', '127.0.0.1:0', '--log-level', 'debug']);
    const url = await pre.ready(1);
    const [first] = pre.bootedWorkers();
    config.write({ worker_class: 'sync', worker_connections: 50 });
    pre.signal('SIGHUP');
    await pre.waitForLog(/Reload failed, keeping the current configuration and workers/);
    config.write({ worker_class: 'sync' });
    pre.signal('SIGHUP');
    await waitFor(() => {
      const now = pre.bootedWorkers();
      return now.length === 1 && now[0] !== first;
    }, 'the sync generation to replace the async one');
    const res = await request(`${url}/pid`);
    expect(res.statusCode).toBe(200);
    expect(res.headers.connection).toBe('close'); // sync closes every connection
    await res.body.text();
  });
});
