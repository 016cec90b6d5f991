import path from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, HELLO, startPre, stopAll } from '../helpers/pre.js';

afterEach(stopAll);

describe('the public Worker API', () => {
  it('loads a third-party worker class by path:Export, which serves on listener copies from the arbiter', async () => {
    const pre = startPre([HELLO, '-k', `${path.join(FIXTURES, 'copy-worker.js')}:CopyWorker`, '-w', '2', '-b', '127.0.0.1:0', '--log-level', 'debug']);
    const url = await pre.ready(2);
    const res = await request(`${url}/`);
    expect(await res.body.text()).toBe('Hello, World!\n');
    // fds 0-4 are stdio, IPC and the heartbeat; the inherited listener is 5; a copy is a new fd.
    expect(Number(res.headers['x-listener-fd'])).toBeGreaterThan(5);
    pre.signal('SIGTERM');
    expect((await pre.exited).code).toBe(0);
  });
});
