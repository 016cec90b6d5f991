import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, freePort, isAlive, runPre, startPre, stopAll, waitFor } from '../helpers/pre.js';

const daemons: number[] = [];
afterEach(async () => {
  for (const pid of daemons.splice(0)) {
    if (isAlive(pid)) process.kill(pid, 'SIGTERM');
    await waitFor(() => !isAlive(pid), `daemon ${pid} to exit`);
  }
  await stopAll();
});

const APP = path.join(FIXTURES, 'logs-app.js');

function read(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

function tempLog(): string {
  return path.join(mkdtempSync(path.join(os.tmpdir(), 'pre-capture-')), 'error.log');
}

describe('capture_output', () => {
  it.each(['async', 'threads'])('console.log and console.error of the app land in the error log file (%s)', async (workerClass) => {
    const errorlog = tempLog();
    const port = await freePort();
    const pre = startPre([APP, '-k', workerClass, '-b', `127.0.0.1:${port}`, '--capture-output', '--log-file', errorlog, '--log-level', 'warning']);
    await waitFor(() => read(errorlog).includes('logs-app loaded'), 'the output of the app\'s import');
    // Booted lines are debug (not written at warning): wait for an answer instead.
    const answer = await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/print?id=7`).catch(() => null))?.text(), 'an answer');
    expect(answer).toBe('printed');
    await waitFor(() => read(errorlog).includes('partial 7 joined'), 'the printed lines');
    const log = read(errorlog);
    // Whatever loglevel is: output is not a log call. stdout is INFO, stderr ERROR.
    expect(log).toMatch(/^\[[^\]]+\] \[(\d+)\] \[INFO\] stdout line 7 from \1\/\d+$/m);
    expect(log).toMatch(/^\[[^\]]+\] \[\d+\] \[ERROR\] stderr line 7$/m);
    expect(log).toMatch(/^\[[^\]]+\] \[\d+\] \[INFO\] partial 7 joined$/m);
    expect(pre.stdout).not.toContain('stdout line 7');
    expect(pre.stderr).not.toContain('stderr line 7');
  });

  it('json lines say which stream', async () => {
    const errorlog = tempLog();
    const port = await freePort();
    startPre([APP, '-b', `127.0.0.1:${port}`, '--capture-output', '--log-file', errorlog, '--log-format', 'json']);
    await waitFor(() => read(errorlog).includes('logs-app loaded'), 'the app\'s output');
    // The app is imported before the worker listens: wait for an answer, not for the import's output.
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/print?id=8`).catch(() => null))?.text(), 'an answer');
    await waitFor(() => read(errorlog).includes('stderr line 8'), 'the printed lines');
    const lines = read(errorlog).split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(lines).toContainEqual(expect.objectContaining({ level: 30, stream: 'stdout', msg: expect.stringMatching(/^stdout line 8 from /) }));
    expect(lines).toContainEqual(expect.objectContaining({ level: 50, stream: 'stderr', msg: 'stderr line 8' }));
  });

  it('under --daemon, the app\'s output reaches the error log (without it, nowhere)', async () => {
    for (const capture of [true, false]) {
      const errorlog = tempLog();
      const pidfile = path.join(path.dirname(errorlog), 'pre.pid');
      const port = await freePort();
      const { code } = await runPre([
        APP, '-D', '-b', `127.0.0.1:${port}`, '-p', pidfile, '--log-file', errorlog, '--log-level', 'debug', ...(capture ? ['--capture-output'] : []),
      ]);
      expect(code).toBe(0);
      const pid = Number(readFileSync(pidfile, 'utf8'));
      daemons.push(pid);
      await waitFor(() => read(errorlog).includes('Worker booted'), 'a booted worker');
      expect(await (await fetch(`http://127.0.0.1:${port}/print?id=9`)).text()).toBe('printed');
      if (capture) {
        await waitFor(() => read(errorlog).includes('stdout line 9'), 'the printed line');
        expect(read(errorlog)).toMatch(/\[INFO\] stdout line 9 from /);
        expect(read(errorlog)).toMatch(/\[INFO\] logs-app loaded in /);
      } else {
        // The request was answered after the print; the error log stays without it.
        expect(read(errorlog)).not.toContain('line 9');
      }
      process.kill(pid, 'SIGTERM');
      await waitFor(() => !isAlive(pid), 'the daemon to exit');
      expect(read(errorlog)).toContain('Shutting down: Master');
    }
  });
});
