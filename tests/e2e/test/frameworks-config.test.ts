import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, HELLO, ROOT, runPre, startPre, stopAll } from '../helpers/pre.js';

afterEach(stopAll);

const TSC = path.join(ROOT, 'node_modules/.bin/tsc');
const nodeStripsTypes = Boolean((process.features as { typescript?: unknown }).typescript);

describe('typed config files: pre.config.ts', () => {
  it('-c pre.config.ts: settings and hooks from a TypeScript file', async () => {
    const pre = startPre(['-c', path.join(FIXTURES, 'fw-typed.config.ts'), HELLO]);
    const url = await pre.ready(2);
    expect(await (await request(`${url}/`)).body.text()).toBe('Hello, World!\n');
    for (const pid of pre.bootedWorkers()) expect(pre.stderr).toContain(`typed config: post_fork in ${pid} (async)`);
  });

  it('finds ./pre.config.ts in the current directory', async () => {
    const { code, stdout } = await runPre(['--print-config', HELLO], { cwd: path.join(FIXTURES, 'fw-typed') });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^workers\s+= 3$/m);
    expect(stdout).toMatch(/^keepalive\s+= 7$/m);
  });

  it('defineConfig types every setting and hook: tsc rejects each mistake in the errors fixture', async () => {
    const files = ['fw-typed.config.ts', 'fw-typed-errors.config.ts'].map((f) => path.join(FIXTURES, f));
    const args = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--types', 'node', ...files];
    // Exit 0 means every `@ts-expect-error` line was an error (an unused one fails tsc).
    const result = await promisify(execFile)(TSC, args, { cwd: path.join(ROOT, 'tests/e2e') }).then(
      () => ({ code: 0, out: '' }),
      (err: { code: number; stdout: string }) => ({ code: err.code, out: err.stdout }),
    );
    expect(result.out).toBe('');
    expect(result.code).toBe(0);
  });

  it(nodeStripsTypes ? 'loads a .ts config natively on this Node' : 'says what to do when neither Node nor tsx can load a .ts config', async () => {
    // Outside the repository, so tsx cannot be found from the file or the current directory.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pre-fw-config-'));
    try {
      writeFileSync(path.join(dir, 'pre.config.ts'), 'const workers: number = 3;\nexport default { workers };\n');
      const { code, stdout, stderr } = await runPre(['--print-config', HELLO], { cwd: dir });
      if (nodeStripsTypes) {
        expect(code).toBe(0);
        expect(stdout).toMatch(/^workers\s+= 3$/m);
      } else {
        expect(code).not.toBe(0);
        expect(stderr).toContain(`Node ${process.version} cannot run TypeScript`);
        expect(stderr).toContain('npm i -D tsx');
        expect(stderr).toContain('Node 22.18 or newer');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
