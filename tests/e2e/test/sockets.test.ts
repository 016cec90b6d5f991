import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/nginx.js';
import { HELLO, PRE_BIN, ROOT, isAlive, runPre, startPre, stopAll, waitFor } from '../helpers/pre.js';

afterEach(stopAll);

const hasSocketActivate = spawnSync('systemd-socket-activate', ['--version']).status === 0;

describe('sockets', () => {
  it('creates unix sockets with the mode the umask gives', async () => {
    const socketPath = path.join(mkdtempSync(path.join(os.tmpdir(), 'pre-umask-')), 'app.sock');
    const pre = startPre([HELLO, '-b', `unix:${socketPath}`, '--umask', '007', '--log-level', 'debug']);
    await pre.waitForWorkers(1);
    expect(statSync(socketPath).mode & 0o777).toBe(0o770);
    const agent = new Agent({ connect: { socketPath } });
    expect(await (await request('http://localhost/', { dispatcher: agent })).body.text()).toBe('Hello, World!\n');
    await agent.close();
    await pre.stop();
    expect(() => statSync(socketPath)).toThrow(); // removed at exit
  });

  it('refuses an address or a unix socket another server is using', async () => {
    const port = await freePort();
    const socketPath = path.join(mkdtempSync(path.join(os.tmpdir(), 'pre-busy-')), 'busy.sock');
    const first = startPre([HELLO, '-b', `127.0.0.1:${port}`, '-b', `unix:${socketPath}`, '--log-level', 'debug']);
    await first.ready();
    const second = await runPre([HELLO, '-b', `127.0.0.1:${port}`]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`Cannot bind 127.0.0.1:${port}: the address is already in use`);
    const third = await runPre([HELLO, '-b', `unix:${socketPath}`]);
    expect(third.code).toBe(1);
    expect(third.stderr).toContain(`Cannot bind unix:${socketPath}: another server is listening on it.`);
  });

  it.each(['async', 'sync', 'threads'])('serves on an inherited socket with fd://3 (worker class %s)', async (workerClass) => {
    const parent = net.createServer();
    await new Promise<void>((resolve) => parent.listen(0, '127.0.0.1', resolve));
    const { port } = parent.address() as net.AddressInfo;
    const fd = (parent as unknown as { _handle: { fd: number } })._handle.fd;
    const child = spawn(process.execPath, [PRE_BIN, HELLO, '-b', 'fd://3', '-k', workerClass, '--log-level', 'debug'], {
      cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe', fd],
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    try {
      // The parent stops accepting; the socket lives on in pre.
      await new Promise((resolve) => parent.close(resolve));
      await waitFor(() => stderr.includes('Worker booted'), 'a booted worker');
      expect(stderr).toContain(`Listening at: http://127.0.0.1:${port}`);
      expect(await (await request(`http://127.0.0.1:${port}/`)).body.text()).toBe('Hello, World!\n');
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });

  it.skipIf(!hasSocketActivate)('runs under systemd socket activation (systemd-socket-activate)', async () => {
    const port = await freePort();
    const child = spawn('systemd-socket-activate', ['-l', `127.0.0.1:${port}`, process.execPath, PRE_BIN, HELLO, '-w', '2', '--log-level', 'debug'], {
      cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    try {
      await waitFor(() => stderr.includes(`Listening on 127.0.0.1:${port}`), 'systemd-socket-activate to listen');
      // The first connection starts pre; it waits in the socket's backlog until a worker accepts it.
      const res = await request(`http://127.0.0.1:${port}/pid`);
      expect(res.statusCode).toBe(200);
      await res.body.text();
      expect(stderr).toContain('Using inherited sockets: fd://3');
      expect(stderr).toContain(`Listening at: http://127.0.0.1:${port}`);
      await waitFor(() => (stderr.match(/Worker booted/g)?.length ?? 0) === 2, 'two workers');
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      for (const pid of [...stderr.matchAll(/Booting worker with pid: (\d+)/g)].map((m) => Number(m[1]))) {
        if (isAlive(pid)) process.kill(pid, 'SIGKILL');
      }
    }
  });
});
