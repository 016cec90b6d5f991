import { spawn, type ChildProcess } from 'node:child_process';
import { ErrorLog } from '../logging/error-log.js';

/** The new master's inherited sockets: JSON `[{ fd, bind }]`, fds counted from 3. */
export const LISTEN_FDS_ENV = 'PRE_LISTEN_FDS';
/** Set in a new master started by USR2: the pid of the old master, until it is gone. */
export const OLD_MASTER_ENV = 'PRE_OLD_MASTER_PID';
/** Set in a new master started by USR2: the old master's error log file, where a failure to start is written too. */
export const OLD_MASTER_ERRORLOG_ENV = 'PRE_OLD_MASTER_ERRORLOG';

export interface InheritedListener {
  readonly fd: number;
  readonly bind: string;
}

/**
 * USR2: starts a new master running the current `pre` code and config, with the same command line,
 * that inherits every listening socket (Gunicorn's GUNICORN_FD). It spawns its own workers; the old
 * master keeps serving until WINCH and TERM.
 */
export function spawnNewMaster(argv: readonly string[], cwd: string, listeners: readonly { fd: number; bind: string }[], errorlog: string | null): ChildProcess {
  const inherited: InheritedListener[] = listeners.map((l, i) => ({ fd: 3 + i, bind: l.bind }));
  const env: NodeJS.ProcessEnv = { ...process.env, [LISTEN_FDS_ENV]: JSON.stringify(inherited), [OLD_MASTER_ENV]: String(process.pid) };
  if (errorlog && errorlog !== '-') env[OLD_MASTER_ERRORLOG_ENV] = errorlog;
  else delete env[OLD_MASTER_ERRORLOG_ENV];
  return spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...argv], {
    cwd,
    env,
    stdio: ['inherit', 'inherit', 'inherit', ...listeners.map((l) => l.fd)],
  });
}

/** In a new master: the sockets the old one passed on (the variable is removed so workers don't see it). */
export function takeInheritedListeners(env: NodeJS.ProcessEnv): InheritedListener[] {
  const text = env[LISTEN_FDS_ENV];
  delete env[LISTEN_FDS_ENV];
  if (!text) return [];
  try {
    const parsed = JSON.parse(text) as InheritedListener[];
    return Array.isArray(parsed) ? parsed.filter((l) => Number.isInteger(l.fd) && typeof l.bind === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * The arbiter's side of a binary upgrade, both as the old master (it started a new one) and as the new
 * master (started by an old one, promoted once the old one has exited).
 */
export class MasterUpgrade {
  #child: ChildProcess | null = null;
  #oldMasterPid: number | null;

  constructor(env: NodeJS.ProcessEnv) {
    const pid = Number(env[OLD_MASTER_ENV]);
    this.#oldMasterPid = Number.isInteger(pid) && pid > 0 ? pid : null;
  }

  /** This master started a new one that is still running. */
  get childRunning(): boolean {
    return this.#child !== null && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** This master was started by USR2 and its old master still runs. */
  get awaitingPromotion(): boolean {
    return this.#oldMasterPid !== null;
  }

  start(argv: readonly string[], cwd: string, listeners: readonly { fd: number; bind: string }[], errorlog: string | null, onExit: (code: number | null, signal: NodeJS.Signals | null) => void): number {
    const child = spawnNewMaster(argv, cwd, listeners, errorlog);
    this.#child = child;
    child.once('exit', (code, signal) => {
      this.#child = null;
      onExit(code, signal);
    });
    return child.pid ?? 0;
  }

  /** True once, when the old master has gone and this one takes over. */
  promoteIfOrphaned(): boolean {
    if (this.#oldMasterPid === null || process.ppid === this.#oldMasterPid) return false;
    this.#oldMasterPid = null;
    delete process.env[OLD_MASTER_ENV];
    delete process.env[OLD_MASTER_ERRORLOG_ENV];
    return true;
  }
}

/** fd:// binds (systemd's, or the old master's) name fds by number; in a new master those numbers changed. */
export function inheritedFixedBinds(inherited: readonly InheritedListener[]): { binds: string[] | null; listeners: InheritedListener[] } {
  if (!inherited.some((l) => l.bind.startsWith('fd://'))) return { binds: null, listeners: [...inherited] };
  const listeners = inherited.map((l) => (l.bind.startsWith('fd://') ? { fd: l.fd, bind: `fd://${l.fd}` } : l));
  return { binds: listeners.map((l) => l.bind), listeners };
}

/**
 * In a new master that cannot start (a bad config, an address it cannot bind, …): the reason goes to the
 * old master's error log too, not only to stderr, so whoever ran USR2 finds it where they look. A no-op
 * outside an upgrade, or when the old master logs to stderr (which this process shares).
 */
export function reportNewMasterFailure(message: string, env: NodeJS.ProcessEnv = process.env): void {
  const file = env[OLD_MASTER_ERRORLOG_ENV];
  if (!file || env[OLD_MASTER_ENV] === undefined) return;
  try {
    const log = new ErrorLog({ path: file, level: 'error' });
    log.error(`New master (pid:${process.pid}) failed to start; the old master (pid:${env[OLD_MASTER_ENV]}) carries on: ${message}`);
    log.close();
  } catch {
    // The old master's log is out of reach: stderr still has the reason.
  }
}
