import { spawn } from 'node:child_process';
import { PRE_BIN, ROOT } from './pre.js';

export interface CtlResult { code: number | null; stdout: string; stderr: string }

/** Runs `pre ctl --socket SOCKET ARGS...` (null: no --socket, the default path) to completion (killed after 20 s). */
export function runCtl(socket: string | null, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CtlResult> {
  const socketArgs = socket === null ? [] : ['--socket', socket];
  const child = spawn(process.execPath, [PRE_BIN, 'ctl', ...socketArgs, ...args], {
    cwd: ROOT, env: { ...process.env, PRE_CONTROL_SOCKET: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) => child.once('close', (code) => (clearTimeout(timer), resolve({ code, stdout, stderr }))));
}

/** `pre ctl --json ARGS...`, parsed; throws with pre ctl's stderr when it fails. */
export async function ctlJson<T>(socket: string | null, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<T> {
  const result = await runCtl(socket, ['--json', ...args], env);
  if (result.code !== 0) throw new Error(`pre ctl ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}
