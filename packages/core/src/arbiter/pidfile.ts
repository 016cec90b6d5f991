import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { PreError } from '../errors.js';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(file: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** The arbiter's pidfile: refuses to overwrite a live process's, written atomically, removed only if still ours. */
export class Pidfile {
  path: string;

  constructor(path: string) {
    this.path = path;
  }

  create(pid: number): void {
    const existing = readPid(this.path);
    if (existing !== null && existing !== pid && isRunning(existing)) {
      throw new PreError('PRE_ERR_PIDFILE', `Already running on pid ${existing} (or pidfile ${this.path} is stale).`);
    }
    const tmp = `${this.path}.${pid}.tmp`;
    try {
      writeFileSync(tmp, `${pid}\n`);
      renameSync(tmp, this.path);
    } catch (err) {
      throw new PreError('PRE_ERR_PIDFILE', `Cannot write pidfile ${this.path}: ${(err as Error).message}`);
    }
  }

  /** Moves the pidfile (USR2: the old master's becomes `.oldbin`; a promoted new master's `.2` becomes the real one). */
  rename(to: string): void {
    try {
      renameSync(this.path, to);
    } catch {
      writeFileSync(to, `${process.pid}\n`);
    }
    this.path = to;
  }

  unlink(pid: number): void {
    if (readPid(this.path) !== pid) return;
    try {
      unlinkSync(this.path);
    } catch {
      // already gone
    }
  }
}
