import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const MAX_ENTRIES = 1000;

/** `pre ctl`'s interactive history: ~/.pre_ctl_history, one command a line, oldest first. */
export class CommandHistory {
  readonly path: string;
  #last: string | undefined;
  #warned = false;

  constructor(path = join(homedir(), '.pre_ctl_history')) {
    this.path = path;
  }

  /** The saved commands, newest first (readline's order); trims the file when it has grown too long. */
  load(): string[] {
    let lines: string[];
    try {
      lines = readFileSync(this.path, 'utf8').split('\n').filter((l) => l.trim());
    } catch {
      return [];
    }
    if (lines.length > 2 * MAX_ENTRIES) {
      lines = lines.slice(-MAX_ENTRIES);
      this.#write(() => writeFileSync(this.path, `${lines.join('\n')}\n`, { mode: 0o600 }));
    }
    this.#last = lines.at(-1);
    return lines.slice(-MAX_ENTRIES).reverse();
  }

  add(line: string): void {
    if (line === this.#last) return;
    this.#last = line;
    this.#write(() => appendFileSync(this.path, `${line}\n`, { mode: 0o600 }));
  }

  /** History is a convenience: a read-only home directory gets one warning, not a failure. */
  #write(write: () => void): void {
    try {
      write();
    } catch (err) {
      if (!this.#warned) process.stderr.write(`Warning: cannot save history to ${this.path}: ${(err as Error).message}\n`);
      this.#warned = true;
    }
  }
}
