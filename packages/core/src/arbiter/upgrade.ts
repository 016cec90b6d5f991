import { spawn, type ChildProcess } from 'node:child_process';

/** The new master's inherited sockets: JSON `[{ fd, bind }]`, fds counted from 3. */
export const LISTEN_FDS_ENV = 'PRE_LISTEN_FDS';
/** Set in a new master started by USR2: the pid of the old master, until it is gone. */
export const OLD_MASTER_ENV = 'PRE_OLD_MASTER_PID';

export interface InheritedListener {
  readonly fd: number;
  readonly bind: string;
}

/**
 * USR2: starts a new master running the current `pre` code and config, with the same command line,
 * that inherits every listening socket (Gunicorn's GUNICORN_FD). It spawns its own workers; the old
 * master keeps serving until WINCH and TERM.
 */
export function spawnNewMaster(argv: readonly string[], cwd: string, listeners: readonly { fd: number; bind: string }[]): ChildProcess {
  const inherited: InheritedListener[] = listeners.map((l, i) => ({ fd: 3 + i, bind: l.bind }));
  return spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...argv], {
    cwd,
    env: { ...process.env, [LISTEN_FDS_ENV]: JSON.stringify(inherited), [OLD_MASTER_ENV]: String(process.pid) },
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

  start(argv: readonly string[], cwd: string, listeners: readonly { fd: number; bind: string }[], onExit: (code: number | null, signal: NodeJS.Signals | null) => void): number {
    const child = spawnNewMaster(argv, cwd, listeners);
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
    return true;
  }
}

/** fd:// binds (systemd's, or the old master's) name fds by number; in a new master those numbers changed. */
export function inheritedFixedBinds(inherited: readonly InheritedListener[]): { binds: string[] | null; listeners: InheritedListener[] } {
  if (!inherited.some((l) => l.bind.startsWith('fd://'))) return { binds: null, listeners: [...inherited] };
  const listeners = inherited.map((l) => (l.bind.startsWith('fd://') ? { fd: l.fd, bind: `fd://${l.fd}` } : l));
  return { binds: listeners.map((l) => l.bind), listeners };
}
