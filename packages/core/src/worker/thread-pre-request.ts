import type { RequestReporter } from '../http/request-reporter.js';
import type { RequestInfo } from '../hooks.js';

/** A worker thread asks its main thread to run pre_request (hooks are functions of the config file). */
export interface PreRequestMessage {
  readonly type: 'pre_request';
  readonly id: number;
  readonly request: RequestInfo;
}

/** The main thread's answer: the app may see the request (or, with `error`, the thread answers 500). */
export interface PreRequestDoneMessage {
  readonly type: 'pre_request_done';
  readonly id: number;
  readonly error?: string;
}

/** The thread's side of pre_request: `ask` posts the request and settles when the main thread answers. */
export class PreRequestAsker {
  readonly #post: (message: PreRequestMessage) => void;
  readonly #pending = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  #nextId = 0;

  constructor(post: (message: PreRequestMessage) => void) {
    this.#post = post;
  }

  ask(request: RequestInfo): Promise<void> {
    const id = this.#nextId = this.#nextId >= 0x7fffffff ? 1 : this.#nextId + 1;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#post({ type: 'pre_request', id, request });
    });
  }

  answered(message: PreRequestDoneMessage): void {
    const pending = this.#pending.get(message.id);
    this.#pending.delete(message.id);
    if (message.error === undefined) pending?.resolve();
    else pending?.reject(new Error(message.error));
  }
}

/** The main thread's side: runs pre_request through `reporter` (the Worker) and answers the thread. */
export function answerPreRequest(reporter: RequestReporter, message: PreRequestMessage, reply: (message: PreRequestDoneMessage) => void): void {
  const id = message.id;
  reporter.requestStarted(message.request).then(
    () => reply({ type: 'pre_request_done', id }),
    (err: unknown) => reply({ type: 'pre_request_done', id, error: err instanceof Error ? err.message : String(err) }),
  );
}
