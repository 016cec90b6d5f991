import { closeSync } from 'node:fs';
import type { ListenerCopy } from '@pre/core';

/**
 * Puts a copy of a listener at fd 0, so the worker can stop and restart accepting without a new fd
 * per connection. libuv never closes fds 0-2 when it closes a handle ("nothing good comes from it"),
 * so `server.close()` on fd 0 only stops polling it and `listen({ fd: 0 })` starts again: two epoll
 * calls and a listen(), instead of an IPC round trip to the arbiter for a new copy.
 *
 * The worker's stdin is the arbiter's and pre never reads it. The kernel gives a received fd the
 * lowest free number, so closing fd 0 just before asking for a copy puts the copy there, unless
 * something else opens an fd in between: then this returns false and the copy is given back.
 */
export async function moveCopyToStdin(fetchCopy: () => Promise<ListenerCopy>): Promise<boolean> {
  try {
    closeSync(0);
  } catch {
    return false;
  }
  const copy = await fetchCopy();
  // Closing the handle of a copy that landed on fd 0 keeps the fd open (see above).
  copy.close();
  return copy.fd === 0;
}

/** Closes an fd no handle owns: the copy at fd 0 once its server is closed (libuv leaves it open), an inherited one. */
export function closeFd(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
}
