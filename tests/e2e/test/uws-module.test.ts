import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, freePort, runPre, startPre, stopAll } from '../helpers/pre.js';
import { NO_NATIVE_UWS, nativeUwsAvailable } from '../helpers/uws.js';

afterEach(stopAll);

const APP = path.join(FIXTURES, 'uws-app.js');
const require = createRequire(import.meta.url);
const DEFAULT_DIR = path.dirname(require.resolve('@trufflesuite/uws-js-unofficial/package.json', { paths: [path.dirname(require.resolve('@pre/worker-uws/package.json'))] }));
const BINARY = `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;

async function serveWith(module: string): Promise<string> {
  const port = await freePort();
  const pre = startPre([APP, '-k', 'uws', '-b', `127.0.0.1:${port}`, '--log-level', 'debug'], { env: { PRE_UWS_MODULE: module } });
  const url = await pre.ready(1);
  const res = await request(url);
  expect(res.statusCode).toBe(200);
  return res.body.text();
}

describe('PRE_UWS_MODULE chooses the uWebSockets.js module', () => {
  it.skipIf(!nativeUwsAvailable)(`a package directory or its native binary, by path${nativeUwsAvailable ? '' : ` — skipped: ${NO_NATIVE_UWS}`}`, async () => {
    expect(await serveWith(DEFAULT_DIR)).toContain('Hello');
    await stopAll();
    expect(await serveWith(path.join(DEFAULT_DIR, 'binaries', BINARY))).toContain('Hello');
  });

  it('a module that is not installed, or has no build for this Node, is refused with what works', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'pre-uws-module-'));
    try {
      for (const [module, reason] of [['no-such-uws-package', "Cannot find module 'no-such-uws-package/package.json'"], [empty, `${empty} has no ${BINARY}`]] as const) {
        const port = await freePort();
        const { code, stderr } = await runPre([APP, '-k', 'uws', '-b', `127.0.0.1:${port}`], { env: { PRE_UWS_MODULE: module } });
        expect(code, module).toBe(3);
        expect(stderr).toContain(`cannot load a native uWebSockets.js (${BINARY}) from ${module} (from PRE_UWS_MODULE) on Node ${process.versions.node}`);
        expect(stderr).toContain(reason);
        expect(stderr).toContain('glibc ≥ 2.38');
        expect(stderr).toContain('pre does not fall back to a JS shim');
      }
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
