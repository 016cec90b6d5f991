import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, ROOT, runPre, startPre, stopAll } from '../helpers/pre.js';
import { NO_NATIVE_UWS, nativeUwsAvailable } from '../helpers/uws.js';

afterEach(stopAll);

const APP_DIR = path.join(ROOT, 'apps/ts-hello');
const APP = path.join(APP_DIR, 'app.ts');
const CONFIG = path.join(APP_DIR, 'pre.config.ts');
const nodeStripsTypes = Boolean((process.features as { typescript?: unknown }).typescript);
/** Who runs the TypeScript here: Node 22.18+/24 strip types; on Node 20, tsx (installed at the repository root). */
const expectedLoader = nodeStripsTypes ? 'node' : 'tsx';

interface Greeting {
  hello: string;
  pid: number;
  threadId: number;
  typescript: string;
}

const CLASSES = [
  { workerClass: 'async', threads: 1, threaded: false },
  { workerClass: 'sync', threads: 1, threaded: false },
  { workerClass: 'threads', threads: 2, threaded: true },
  { workerClass: 'uws', threads: 2, threaded: true },
] as const;

describe('TypeScript apps: apps/ts-hello on every worker class', () => {
  for (const { workerClass, threads, threaded } of CLASSES) {
    const skip = workerClass === 'uws' && !nativeUwsAvailable;
    it.skipIf(skip)(`${workerClass}: app.ts and pre.config.ts load in each worker${threaded ? ' and each thread' : ''} (${expectedLoader})${skip ? ` — skipped: ${NO_NATIVE_UWS}` : ''}`, async () => {
      const port = await freePort(); // uws binds its own listeners and refuses port 0
      const pre = startPre(['-c', CONFIG, '-k', workerClass, '--threads', String(threads), '-b', `127.0.0.1:${port}`, '--log-level', 'debug', APP]);
      const url = await pre.ready(2); // workers: 2 comes from pre.config.ts
      const text = await request(url);
      expect(text.statusCode).toBe(200);
      expect(await text.body.text()).toBe('Hello from TypeScript!\n');

      const seen: Greeting[] = [];
      for (let i = 0; i < 12; i++) {
        const res = await request(new URL('/json?name=ts', url), { reset: true });
        expect(res.statusCode).toBe(200);
        seen.push((await res.body.json()) as Greeting);
      }
      for (const greeting of seen) {
        expect(greeting).toMatchObject({ hello: 'ts', typescript: expectedLoader });
        expect(pre.bootedWorkers()).toContain(greeting.pid);
      }
      // The config's post_fork hook (TypeScript too) ran in each worker process.
      for (const pid of pre.bootedWorkers()) expect(pre.stderr).toContain(`ts-hello: worker ${pid} (${workerClass}) forked`);
      if (workerClass === 'threads') {
        // Every request of the threads class runs in a worker thread, which loaded app.ts itself.
        expect(seen.every((g) => g.threadId > 0)).toBe(true);
      }
      if (workerClass === 'uws') {
        // uws --threads 2: the main thread and one worker thread serve; reach the thread with new connections.
        const more: Greeting[] = [...seen];
        for (let i = 0; i < 60 && !more.some((g) => g.threadId > 0); i++) {
          more.push((await (await request(new URL('/json', url), { reset: true })).body.json()) as Greeting);
        }
        expect(more.some((g) => g.threadId > 0)).toBe(true);
      }
    });
  }
});

describe('TypeScript apps without a way to run them', () => {
  it(nodeStripsTypes ? 'a .ts app outside any project with tsx runs natively on this Node' : 'refuses before binding and forking, saying what to install', async () => {
    // Outside the repository, so tsx cannot be found from the app or the current directory.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pre-ts-app-'));
    try {
      cpSync(APP_DIR, dir, { recursive: true });
      rmSync(path.join(dir, 'pre.config.ts')); // it imports @pre/core, which this bare directory lacks
      writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
      if (nodeStripsTypes) {
        const pre = startPre(['-b', '127.0.0.1:0', '--log-level', 'debug', 'app.ts'], { cwd: dir });
        const url = await pre.ready(1);
        expect(await (await request(new URL('/json', url))).body.json()).toMatchObject({ typescript: 'node' });
        return;
      }
      const { code, stderr } = await runPre(['-b', '127.0.0.1:0', '-w', '2', 'app.ts'], { cwd: dir });
      expect(code).toBe(4);
      expect(stderr).toContain(`Cannot load the app ${path.join(dir, 'app.ts')}: Node ${process.version} cannot run TypeScript.`);
      expect(stderr).toContain('npm i -D tsx');
      expect(stderr).toContain('Node 22.18 or newer');
      expect(stderr).not.toContain('Listening at');
      expect(stderr).not.toContain('Booting worker');
      expect(stderr).not.toContain('ERR_UNKNOWN_FILE_EXTENSION');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
