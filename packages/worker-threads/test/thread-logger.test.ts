import { once } from 'node:events';
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { ThreadMessage } from '../src/protocol.js';
import { ThreadLogger } from '../src/thread-logger.js';

describe('ThreadLogger', () => {
  it('posts lines at or above its level to the main thread, with the stack of an exception', async () => {
    const { port1, port2 } = new MessageChannel();
    const received: ThreadMessage[] = [];
    port2.on('message', (m: ThreadMessage) => received.push(m));
    const log = new ThreadLogger(port1, 'warning');
    log.debug('no');
    log.info('no');
    log.warning('w');
    log.exception('boom', new Error('e'));
    log.critical('c');
    while (received.length < 3) await once(port2, 'message');
    port1.close();
    expect(received.map((m) => m.type === 'log' && [m.level, m.message])).toEqual([['warning', 'w'], ['error', 'boom'], ['critical', 'c']]);
    expect(received[1]).toMatchObject({ stack: expect.stringContaining('Error: e') });
  });
});
