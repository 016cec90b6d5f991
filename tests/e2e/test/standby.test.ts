// The standby worker (packages/core/src/arbiter/standby.ts): `pre` starts its first worker process before
// the arbiter reads its settings; the first spawn adopts it when it is what that spawn would start, and
// otherwise lets it go. Either way a worker must inherit what a spawned one does, and nothing is left behind.
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, runPre, startPre, stopAll, waitFor, type PreProcess } from '../helpers/pre.js';

const PROBE = path.join(FIXTURES, 'standby-probe.js');
const MARKS = path.join(FIXTURES, 'standby-marks.config.mjs');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'pre-standby-'));
afterEach(stopAll);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Probe {
  readonly pid: number;
  readonly startedAt: number;
  readonly cwd: string;
  readonly umask: string | null;
  readonly probe: string | null;
}

const children = (pid: number): number[] =>
  readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);

/** When the arbiter read its settings: the config file's first evaluation in the arbiter process. */
function settingsReadAt(log: string, arbiter: number): number {
  const marks = readFileSync(log, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { pid: number; at: number });
  return marks.find((m) => m.pid === arbiter)!.at;
}

/** Starts pre on the probe app with the marks config; the probe's answer from its (single) worker. */
async function startProbed(args: string[], env: Record<string, string> = {}): Promise<{ pre: PreProcess; probe: Probe; log: string }> {
  const log = path.join(mkdtempSync(path.join(tmp, 'run-')), 'marks.jsonl');
  const pre = startPre([PROBE, '-c', MARKS, '-b', '127.0.0.1:0', '--log-level', 'debug', ...args], { env: { STANDBY_LOG: log, ...env } });
  const url = await pre.ready();
  const probe = (await (await fetch(url)).json()) as Probe;
  return { pre, probe, log };
}

/** Processes (pid) whose environment holds `marker`. */
function processesWith(marker: string): number[] {
  return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map(Number).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'utf8').includes(marker);
    } catch {
      return false; // gone meanwhile
    }
  });
}

describe('standby worker', () => {
  it('starts before the arbiter reads its settings, then serves with its heartbeat and listener', async () => {
    const heartbeats = mkdtempSync(path.join(tmp, 'hb-'));
    const { pre, probe, log } = await startProbed(['--worker-tmp-dir', heartbeats, '-t', '2']);
    expect(probe.startedAt).toBeLessThan(settingsReadAt(log, pre.pid));
    expect(pre.bootedWorkers()).toContain(probe.pid);
    // Its heartbeat file is open and unlinked, and touched: a 2 s timeout does not kill it.
    const heartbeatLinks = readdirSync(`/proc/${probe.pid}/fd`).map((fd) => {
      try {
        return readlinkSync(`/proc/${probe.pid}/fd/${fd}`);
      } catch {
        return '';
      }
    });
    expect(heartbeatLinks.filter((link) => link.startsWith(`${heartbeats}/pre-heartbeat-`) && link.endsWith('(deleted)'))).toHaveLength(1);
    expect(readdirSync(heartbeats)).toEqual([]);
    await new Promise((r) => setTimeout(r, 2500));
    expect(pre.stderr).not.toContain('WORKER TIMEOUT');
    // No other process: the standby is the worker. The next one (TTIN) is spawned.
    expect(children(pre.pid)).toEqual([probe.pid]);
    process.kill(pre.pid, 'SIGTTIN');
    await pre.waitForWorkers(2);
    expect(children(pre.pid).sort()).toEqual(pre.bootedWorkers().sort());
    expect(readdirSync(heartbeats)).toEqual([]);
    await pre.stop();
    expect((await pre.exited).code).toBe(0);
  });

  it('takes the umask a spawned worker inherits', async () => {
    const { probe, pre, log } = await startProbed(['--umask', '027']);
    expect(probe.startedAt).toBeLessThan(settingsReadAt(log, pre.pid)); // the standby
    expect(probe.umask).toBe('0027');
  });

  it('is let go when the worker needs another environment (raw_env) or directory (chdir)', async () => {
    const env = await startProbed(['-e', 'STANDBY_PROBE=from-raw-env']);
    expect(env.probe.probe).toBe('from-raw-env');
    expect(env.probe.startedAt).toBeGreaterThan(settingsReadAt(env.log, env.pre.pid)); // spawned as before
    await waitFor(() => children(env.pre.pid).length === 1, 'the standby to leave');
    expect(children(env.pre.pid)).toEqual(env.pre.bootedWorkers());

    const dir = mkdtempSync(path.join(tmp, 'chdir-'));
    const moved = await startProbed(['--chdir', dir]);
    expect(moved.probe.cwd).toBe(dir);
    expect(moved.probe.startedAt).toBeGreaterThan(settingsReadAt(moved.log, moved.pre.pid));
    await waitFor(() => children(moved.pre.pid).length === 1, 'the standby to leave');
  });

  it('leaves no process behind when pre spawns no worker', async () => {
    const marker = `STANDBY_MARK=${Math.random().toString(36).slice(2)}`;
    const env = { STANDBY_MARK: marker.slice('STANDBY_MARK='.length) };
    const noApp = await runPre(['-b', '127.0.0.1:0'], { env }); // a usage error, after the standby started
    expect(noApp.code).not.toBe(0);
    const badSetting = await runPre([PROBE, '--workers', 'many'], { env });
    expect(badSetting.code).not.toBe(0);
    await waitFor(() => processesWith(marker).length === 0, 'no process left with the marker', 5000);
    expect(noApp.stderr + badSetting.stderr).not.toMatch(/top-level await|Warning/);
  });
});
