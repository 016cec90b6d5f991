import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { ctlJson } from '../helpers/ctl.js';
import { HELLO, freePort, isAlive, startPre, stopAll, waitFor, type PreProcess } from '../helpers/pre.js';

// USR2 with the arbiter's own endpoints set: metrics, probes and the control socket move to the new
// master, a rollback leaves them with the old one, and a new master's failure is in the error log.

const dirs: string[] = [];
/** New masters started by USR2 (not children of the test). */
const masters: number[] = [];

afterEach(async () => {
  for (const pid of masters.splice(0)) if (isAlive(pid)) process.kill(pid, 'SIGTERM');
  await stopAll();
  await waitFor(() => masters.every((pid) => !isAlive(pid)), 'the new masters to exit', 15_000).catch(() => undefined);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pre-ctl-upgrade-'));
  dirs.push(dir);
  return dir;
}

async function status(url: string): Promise<number | null> {
  try {
    const res = await request(url);
    await res.body.dump();
    return res.statusCode;
  } catch {
    return null;
  }
}

interface Started { pre: PreProcess; url: string; socket: string; metricsUrl: string; readyUrl: string }

async function startWithEndpoints(extra: readonly string[] = []): Promise<Started> {
  const socket = path.join(tempDir(), 'pre.ctl');
  const metricsPort = await freePort();
  const healthPort = await freePort();
  const pre = startPre([HELLO, '-b', '127.0.0.1:0', '--log-level', 'debug', '--control-socket', socket,
    '--prometheus-bind', `127.0.0.1:${metricsPort}`, '--health-bind', `127.0.0.1:${healthPort}`, ...extra]);
  const url = await pre.ready(1);
  return { pre, url, socket, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`, readyUrl: `http://127.0.0.1:${healthPort}/ready` };
}

async function usr2(old: PreProcess): Promise<number> {
  old.signal('SIGUSR2');
  const pid = Number((await old.waitForLog(/Started new master with pid: (\d+)/))[1]);
  masters.push(pid);
  return pid;
}

describe('USR2 with prometheus_bind, health_bind and a control socket', () => {
  it('the new master serves them once the old master lets go (WINCH, TERM)', async () => {
    const { pre: old, url, socket, metricsUrl, readyUrl } = await startWithEndpoints();
    const newPid = await usr2(old);
    // The old master still holds the metrics and probe addresses: the new one waits for them instead of exiting.
    await old.waitForLog(new RegExp(`\\[${newPid}\\] \\[INFO\\] prometheus_bind 127\\.0\\.0\\.1:\\d+ is still held by the old master`));
    await old.waitForLog(new RegExp(`\\[${newPid}\\] \\[INFO\\] health_bind 127\\.0\\.0\\.1:\\d+ is still held by the old master`));
    await old.waitForLog(new RegExp(`\\[${newPid}\\] \\[DEBUG\\] Worker booted`));
    expect(isAlive(newPid)).toBe(true);
    expect(await ctlJson(socket, ['show', 'stats'])).toMatchObject({ pid: newPid });

    old.signal('SIGWINCH');
    old.signal('SIGTERM');
    expect((await old.exited).code).toBe(0);
    // The new master shares the old one's stderr: its lines keep arriving after the old one exited.
    await waitFor(() => old.stderr.includes(`[${newPid}] [INFO] Serving Prometheus metrics at: ${metricsUrl}`), 'the new master to serve /metrics');
    await waitFor(() => old.stderr.includes(`[${newPid}] [INFO] Serving readiness probes at: ${readyUrl}`), 'the new master to serve /ready');
    await waitFor(async () => (await status(readyUrl)) === 200, 'the new master to be ready');
    const scrape = await (await request(metricsUrl)).body.text();
    expect(scrape).toMatch(/^pre_workers 1$/m);
    expect((await request(`${url}/`)).statusCode).toBe(200);
    expect(await ctlJson(socket, ['show', 'stats'])).toMatchObject({ pid: newPid });
    expect(old.stderr).not.toMatch(/EADDRINUSE/);
  });

  it('after a rollback (TERM to the new master) the old master still answers pre ctl, /metrics and /ready', async () => {
    const { pre: old, socket, metricsUrl, readyUrl } = await startWithEndpoints();
    const newPid = await usr2(old);
    await old.waitForLog(new RegExp(`\\[${newPid}\\] \\[DEBUG\\] Worker booted`));
    expect(await ctlJson(socket, ['show', 'stats'])).toMatchObject({ pid: newPid });

    process.kill(newPid, 'SIGTERM');
    await old.waitForLog(new RegExp(`New master \\(pid:${newPid}\\) exited \\(code 0\\); this master carries on`));
    await old.waitForLog(/Control socket at: .* \(again, after the new master exited\)/);
    expect(await ctlJson(socket, ['show', 'stats'])).toMatchObject({ pid: old.pid });
    expect(await status(metricsUrl)).toBe(200);
    expect(await status(readyUrl)).toBe(200);
  });

  it('a new master that cannot start writes the reason to the error log, and the old master carries on', async () => {
    const dir = tempDir();
    const config = path.join(dir, 'pre.config.mjs');
    const errorlog = path.join(dir, 'error.log');
    const socket = path.join(dir, 'pre.ctl');
    writeFileSync(config, 'export default { workers: 1 };\n');
    const old = startPre([HELLO, '-c', config, '-b', '127.0.0.1:0', '--control-socket', socket, '--error-logfile', errorlog]);
    const logText = (): string => { try { return readFileSync(errorlog, 'utf8'); } catch { return ''; } };
    await waitFor(() => logText().includes('Booting worker with pid'), 'the old master to start');
    writeFileSync(config, "export default { workers: 'many' };\n");
    old.signal('SIGUSR2');
    const newPid = Number((await waitFor(() => /Started new master with pid: (\d+)/.exec(logText()), 'the new master'))[1]);
    masters.push(newPid);
    await waitFor(() => logText().includes(`New master (pid:${newPid}) exited (code`), 'the old master to log the exit');
    expect(logText()).toMatch(new RegExp(`\\[${newPid}\\] \\[ERROR\\] New master \\(pid:${newPid}\\) failed to start; the old master \\(pid:${old.pid}\\) carries on: Invalid value for setting 'workers'`));
    expect(await ctlJson(socket, ['show', 'stats'])).toMatchObject({ pid: old.pid });
  });
});
