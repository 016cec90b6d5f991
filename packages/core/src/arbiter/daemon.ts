import { spawn } from 'node:child_process';

/** Set in the detached arbiter, so it does not detach again (and its USR2 children neither). */
export const DAEMON_ENV = 'PRE_DAEMONIZED';
const READY_TIMEOUT_MS = 60_000;

export function isDaemonChild(env: NodeJS.ProcessEnv): boolean {
  return env[DAEMON_ENV] === '1';
}

/**
 * `daemon`: runs the same command line again as a detached session leader with stdio on /dev/null,
 * waits until it reports that it runs (or why it could not start), and returns the exit code for
 * the foreground `pre`.
 */
export function daemonize(argv: readonly string[], cwd: string): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...argv], {
    cwd,
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    env: { ...process.env, [DAEMON_ENV]: '1' },
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      process.stderr.write(`Error: the daemon (pid ${child.pid}) did not report readiness within ${READY_TIMEOUT_MS / 1000} s\n`);
      resolve(1);
    }, READY_TIMEOUT_MS);
    child.on('message', (message: { type?: string; error?: string }) => {
      if (message.type === 'daemon_error') process.stderr.write(`Error: ${message.error}\n`);
      if (message.type !== 'daemon_ready') return;
      clearTimeout(timer);
      child.disconnect();
      child.unref();
      resolve(0);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code ?? 1);
    });
  });
}

/** In the detached arbiter: tell the foreground `pre` that we run, and let it go. */
export function reportDaemonReady(): void {
  if (!process.send || !process.connected) return;
  process.send({ type: 'daemon_ready' }, () => process.disconnect());
}

/** In the detached arbiter: pass a start-up error to the foreground `pre` to print. */
export function reportDaemonError(message: string): void {
  if (process.send && process.connected) process.send({ type: 'daemon_error', error: message });
}
