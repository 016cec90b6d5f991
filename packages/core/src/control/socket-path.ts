import { lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { PreError } from '../errors.js';
import type { Logger } from '../logging/error-log.js';

const PROBE_TIMEOUT_MS = 2000;
export const CONTROL_SOCKET_NAME = 'pre.ctl';

/** Where the control socket goes when `control_socket` is not set (Gunicorn 26's rule): `$XDG_RUNTIME_DIR/pre.ctl`, else `~/.pre/pre.ctl`. */
export function defaultControlSocketPath(env: NodeJS.ProcessEnv): string {
  return env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, CONTROL_SOCKET_NAME) : join(env.HOME || homedir(), '.pre', CONTROL_SOCKET_NAME);
}

/** Creates the default socket's directory (`~/.pre`), private to the user. */
export function ensureSocketDir(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
}

/** The path is a socket another live process listens on. */
export class SocketInUseError extends PreError {}

/**
 * Makes `path` free for the control socket: nothing there is fine; a stale socket (nobody listening) is
 * removed; anything that is not a socket is refused. A socket someone listens on is refused too,
 * unless `takeOver` (a new master started by USR2 takes the control socket from the old one).
 */
export async function prepareSocketPath(path: string, takeOver: boolean, log: Logger): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new PreError('PRE_ERR_BIND', `Cannot use control socket ${path}: ${(err as Error).message}`);
  }
  if (!isSocket) {
    throw new PreError('PRE_ERR_BIND', `Control socket path ${path} exists and is not a socket; refusing to replace it. Remove it or choose another --control-socket.`);
  }
  if (await isListenedOn(path)) {
    if (!takeOver) {
      throw new SocketInUseError('PRE_ERR_BIND', `Control socket ${path} is in use by another running process (another pre?). Stop it or choose another --control-socket.`);
    }
    log.info(`Taking over control socket ${path} from the old master`);
  } else {
    log.info(`Removing stale control socket ${path}`);
  }
  unlinkSync(path);
}

function isListenedOn(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const done = (listening: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(listening);
    };
    // No answer in time: something holds it; treat it as in use rather than delete it.
    const timer = setTimeout(() => done(true), PROBE_TIMEOUT_MS);
    socket.once('connect', () => done(true));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code !== 'ECONNREFUSED' && err.code !== 'ENOENT'));
  });
}
