import type { Logger } from '../logging/error-log.js';
import { FIRST_LISTENER_FD } from '../worker/protocol.js';
import { parseBindAddress, type ListenerInfo } from './address.js';
import { bindListener, type BoundListener } from './bind.js';

/**
 * The arbiter's sockets. Bound once and never accepted on: workers inherit them. For worker classes
 * that bind their own (SO_REUSEPORT), the set only describes the addresses.
 */
export class ListenerSet {
  #bound: BoundListener[] = [];
  #own: ListenerInfo[] = [];
  readonly #bindsOwn: boolean;

  constructor(bindsOwn: boolean) {
    this.#bindsOwn = bindsOwn;
  }

  /** Binds `binds`, keeping sockets already bound to the same text (HUP) and closing the rest. */
  async update(binds: readonly string[], log: Logger): Promise<void> {
    const addresses = binds.map(parseBindAddress);
    if (this.#bindsOwn) {
      this.#own = addresses.map((a) => ({
        fd: -1,
        kind: a.kind,
        address: a.text,
        url: a.kind === 'tcp' ? `http://${a.family === 6 ? `[${a.host}]` : a.host}:${a.port}` : a.text,
        ...(a.kind === 'tcp' ? { host: a.host, port: a.port } : a.kind === 'unix' ? { path: a.path } : {}),
      }));
      return;
    }
    const next: BoundListener[] = [];
    try {
      for (const address of addresses) {
        next.push(this.#bound.find((l) => l.address.text === address.text) ?? (await bindListener(address)));
      }
    } catch (err) {
      for (const listener of next) if (!this.#bound.includes(listener)) listener.close();
      throw err;
    }
    for (const listener of this.#bound) {
      if (!next.includes(listener)) {
        log.info(`Closing listener ${listener.info.url}`);
        listener.close();
      }
    }
    this.#bound = next;
  }

  /** The fds to hand each worker, in order. */
  get fds(): number[] {
    return this.#bound.map((l) => l.fd);
  }

  /** What workers are told, with the fd numbers they will see. */
  get infos(): ListenerInfo[] {
    if (this.#bindsOwn) return this.#own;
    return this.#bound.map((l, i) => ({ ...l.info, fd: FIRST_LISTENER_FD + i }));
  }

  /** The handle of listener `index`, to send a worker a fresh copy of the socket. */
  handle(index: number): object | null {
    return this.#bound[index]?.handle ?? null;
  }

  closeAll(): void {
    for (const listener of this.#bound) listener.close();
    this.#bound = [];
  }
}
