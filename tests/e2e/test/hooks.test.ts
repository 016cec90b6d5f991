import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, HELLO, startPre, stopAll, waitFor } from '../helpers/pre.js';

afterEach(stopAll);

describe('server hooks', () => {
  it('fire in order, in the arbiter or in the worker as documented', async () => {
    const log = path.join(mkdtempSync(path.join(os.tmpdir(), 'pre-hooks-')), 'hooks.log');
    const pre = startPre([HELLO, '-c', path.join(FIXTURES, 'hooks.config.mjs'), '-b', '127.0.0.1:0', '--log-level', 'debug'], { env: { HOOK_LOG: log } });
    const url = await pre.url();
    const [worker] = await pre.waitForWorkers(1);
    const res = await request(`${url}/json`);
    const body = await res.body.text();
    await waitFor(() => readFileSync(log, 'utf8').includes('post_request'), 'post_request');
    await pre.stop();
    expect((await pre.exited).code).toBe(0);

    const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split(' '));
    const names = lines.map(([name]) => name);
    expect(names).toEqual([
      'on_starting', 'when_ready', 'nworkers_changed', 'pre_fork', 'post_fork', 'post_worker_init',
      'pre_request', 'post_request', 'worker_exit', 'child_exit', 'on_exit',
    ]);
    const where = Object.fromEntries(lines.map(([name, pid]) => [name, Number(pid)]));
    for (const name of ['on_starting', 'when_ready', 'pre_fork', 'child_exit', 'on_exit']) expect(where[name]).toBe(pre.pid);
    for (const name of ['post_fork', 'post_worker_init', 'pre_request', 'post_request', 'worker_exit']) expect(where[name]).toBe(worker);
    expect(lines.find(([n]) => n === 'nworkers_changed')).toEqual(['nworkers_changed', String(pre.pid), '1', 'null']);
    expect(lines.find(([n]) => n === 'pre_request')!.slice(2)).toEqual(['GET', '/json']);
    // bytes is reported without the access log on: the body the client received
    expect(lines.find(([n]) => n === 'post_request')!.slice(2)).toEqual(['200', String(Buffer.byteLength(body))]);
    expect(lines.find(([n]) => n === 'child_exit')![2]).toBe(String(worker));
  });
});
