import { readFileSync, readlinkSync } from 'node:fs';

/** Where Linux lists TCP sockets; for a LISTEN socket, `rx_queue` is its accept-queue length. */
const TCP_TABLES = ['/proc/net/tcp', '/proc/net/tcp6'] as const;
const TCP_LISTEN = '0A';

/** True where the kernel's accept-queue length can be read (Linux, with /proc). */
export const ACCEPT_QUEUE_READABLE = process.platform === 'linux';

/** The socket inode behind an fd (`socket:[12345]`), or null when the fd is no socket or /proc is missing. */
export function socketInode(fd: number): number | null {
  try {
    const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/**
 * The accept-queue length of the listening socket `inode` in the text of /proc/net/tcp or tcp6, or null
 * when the table has no LISTEN socket with that inode. Lines read:
 * `sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...`.
 */
export function listenQueueLength(table: string, inode: number): number | null {
  const wanted = String(inode);
  for (const line of table.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10 || fields[9] !== wanted || fields[3] !== TCP_LISTEN) continue;
    const rxQueue = fields[4]!.split(':')[1];
    if (rxQueue === undefined || !/^[0-9A-Fa-f]+$/.test(rxQueue)) return null;
    return Number.parseInt(rxQueue, 16);
  }
  return null;
}

/**
 * The kernel's accept queue of one listening socket: how many connections it holds that no process has
 * accepted yet. `length()` is null when it cannot be known: not Linux, or a unix socket
 * (/proc/net/unix has no queue length).
 */
export class AcceptQueue {
  readonly #inode: number | null;
  /** The table where the socket was last found, read first next time. */
  #table: string | null = null;

  constructor(fd: number | null) {
    this.#inode = ACCEPT_QUEUE_READABLE && fd !== null ? socketInode(fd) : null;
  }

  length(): number | null {
    if (this.#inode === null) return null;
    const tables = this.#table ? [this.#table, ...TCP_TABLES.filter((t) => t !== this.#table)] : TCP_TABLES;
    for (const table of tables) {
      let text: string;
      try {
        text = readFileSync(table, 'latin1');
      } catch {
        continue;
      }
      const length = listenQueueLength(text, this.#inode);
      if (length !== null) {
        this.#table = table;
        return length;
      }
    }
    return null;
  }
}
