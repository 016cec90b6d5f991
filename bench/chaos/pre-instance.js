// A `pre` started for the chaos suite: its address, its workers as its own debug log reports them, signals.
import { PRE_BIN, ROOT } from '../lib/pre-classes.js';
import { freePort, startProcess, waitFor } from '../lib/processes.js';

export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Last lines of a log, for error messages. */
const tail = (text) => text.trim().split('\n').filter((l) => !/^\s+at /.test(l)).slice(-4).join(' / ');

/**
 * Starts `pre -k CLASS ARGS` on a free fixed port (classes that bind their own SO_REUSEPORT listeners
 * cannot share port 0) and resolves once `workers` workers have booted.
 */
export async function startPre(workerClass, args, workers) {
  const port = await freePort();
  const proc = startProcess(process.execPath, [PRE_BIN, '-k', workerClass.name, ...workerClass.args, '-w', String(workers), '-b', `127.0.0.1:${port}`, '--log-level', 'debug', ...args, workerClass.app], {
    cwd: ROOT, env: { PRE_CMD_ARGS: '', WEB_CONCURRENCY: '' },
  });
  const pre = {
    proc,
    pid: proc.pid,
    url: null,
    log: () => proc.output,
    count: (pattern) => proc.output.match(pattern)?.length ?? 0,
    signal: (signal) => process.kill(proc.pid, signal),
    /** Worker pids that logged "Worker booted" and are still alive. */
    workers: () => [...new Set([...proc.output.matchAll(/Worker booted \(pid: (\d+)\)/g)].map((m) => Number(m[1])))].filter(isAlive),
    async waitForWorkers(count, what = `${count} booted workers`, timeoutMs = 20_000) {
      return waitFor(() => {
        if (!proc.running) throw new Error(`pre exited while waiting for ${what}: ${tail(proc.output)}`);
        const pids = pre.workers();
        return pids.length === count ? pids : null;
      }, what, timeoutMs);
    },
    stop: () => proc.stop('SIGTERM', 10_000),
  };
  try {
    const match = await waitFor(() => proc.output.match(/Listening at: (http:\/\/\S+)/) ?? (proc.running ? null : proc.output || 'exited'), 'Listening at:', 20_000);
    if (typeof match === 'string') throw new Error(`pre exited at start: ${tail(match)}`);
    pre.url = match[1];
    await pre.waitForWorkers(workers);
  } catch (err) {
    await pre.stop();
    throw err;
  }
  return pre;
}
