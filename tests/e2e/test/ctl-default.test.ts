import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { ctlJson, runCtl } from '../helpers/ctl.js';
import { HELLO, startPre, stopAll } from '../helpers/pre.js';

// The control socket is on by default: $XDG_RUNTIME_DIR/pre.ctl, else ~/.pre/pre.ctl; --no-control-socket turns it off.

const dirs: string[] = [];
afterEach(async () => {
  await stopAll();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pre-ctl-default-'));
  dirs.push(dir);
  return dir;
}

interface Row { pid: number; state: string; booted: boolean; retiring: boolean }

describe('default control socket', () => {
  it('listens on $XDG_RUNTIME_DIR/pre.ctl, where `pre ctl` finds it without --socket; show workers --json carries the state', async () => {
    const runtime = tempDir();
    const pre = startPre([HELLO, '-b', '127.0.0.1:0', '-w', '2', '--log-level', 'debug'], { env: { XDG_RUNTIME_DIR: runtime } });
    await pre.ready(2);
    const socket = path.join(runtime, 'pre.ctl');
    expect(pre.stderr).toContain(`Control socket at: ${socket} (mode 0600)`);
    expect(statSync(socket).isSocket()).toBe(true);
    const rows = await ctlJson<Row[]>(null, ['show', 'workers'], { XDG_RUNTIME_DIR: runtime });
    expect(rows.map((r) => r.state)).toEqual(['booted', 'booted']);
    expect(rows.map((r) => r.pid).sort()).toEqual(pre.bootedWorkers().sort());
    const human = await runCtl(null, ['show', 'workers'], { XDG_RUNTIME_DIR: runtime });
    expect(human.stdout.match(/\bbooted\b/g)?.length).toBe(2);
  });

  it('falls back to ~/.pre/pre.ctl (a private directory) without $XDG_RUNTIME_DIR', async () => {
    const home = tempDir();
    const pre = startPre([HELLO, '-b', '127.0.0.1:0', '--log-level', 'debug'], { env: { XDG_RUNTIME_DIR: '', HOME: home } });
    await pre.ready(1);
    const socket = path.join(home, '.pre', 'pre.ctl');
    expect(statSync(path.dirname(socket)).mode & 0o777).toBe(0o700);
    expect(await ctlJson(socket, ['show', 'stats'])).toMatchObject({ pid: pre.pid });
  });

  it('two instances on one default path do not fight: the second runs without a control socket and says why', async () => {
    const runtime = tempDir();
    const first = startPre([HELLO, '-b', '127.0.0.1:0', '--log-level', 'debug'], { env: { XDG_RUNTIME_DIR: runtime } });
    await first.ready(1);
    const second = startPre([HELLO, '-b', '127.0.0.1:0', '--log-level', 'debug'], { env: { XDG_RUNTIME_DIR: runtime } });
    const secondUrl = await second.ready(1);
    const socket = path.join(runtime, 'pre.ctl');
    expect(second.stderr).toContain(`The default control socket ${socket} is in use by another running pre; running without a control socket. ` +
      'Give each pre its own with --control-socket PATH, or turn it off with --no-control-socket.');
    expect(await ctlJson(socket, ['show', 'stats'])).toMatchObject({ pid: first.pid });
    expect((await request(`${secondUrl}/`)).statusCode).toBe(200);
    // The second one stopping leaves the first one's socket alone.
    await second.stop();
    expect(await ctlJson(socket, ['show', 'stats'])).toMatchObject({ pid: first.pid });
  });

  it('--no-control-socket opens none', async () => {
    const runtime = tempDir();
    const pre = startPre([HELLO, '-b', '127.0.0.1:0', '--log-level', 'debug', '--no-control-socket'], { env: { XDG_RUNTIME_DIR: runtime } });
    await pre.ready(1);
    expect(pre.stderr).not.toContain('Control socket at');
    expect(existsSync(path.join(runtime, 'pre.ctl'))).toBe(false);
  });
});
