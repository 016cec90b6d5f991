import { once } from 'node:events';
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { Logger } from '../src/logging/error-log.js';
import { ThreadLogger, writeThreadLog, type ThreadLogMessage } from '../src/logging/thread-logger.js';

describe('ThreadLogger', () => {
  it('posts lines at or above its level to the main thread, with the stack of an exception', async () => {
    const { port1, port2 } = new MessageChannel();
    const received: ThreadLogMessage[] = [];
    port2.on('message', (m: ThreadLogMessage) => received.push(m));
    const log = new ThreadLogger(port1, 'warning');
    log.debug('no');
    log.info('no');
    log.warning('w');
    log.exception('boom', new Error('e'));
    log.critical('c');
    while (received.length < 3) await once(port2, 'message');
    port1.close();
    expect(received.map((m) => [m.level, m.message])).toEqual([['warning', 'w'], ['error', 'boom'], ['critical', 'c']]);
    expect(received[1]).toMatchObject({ stack: expect.stringContaining('Error: e') });
  });

  it('is written in the main thread with the thread prefix, an exception with its stack', () => {
    const lines: string[] = [];
    const stacks: string[] = [];
    const log: Logger = {
      debug: (m) => lines.push(`debug ${m}`), info: (m) => lines.push(`info ${m}`), warning: (m) => lines.push(`warning ${m}`),
      error: (m) => lines.push(`error ${m}`), critical: (m) => lines.push(`critical ${m}`),
      exception: (m, err) => { lines.push(`exception ${m}`); stacks.push((err as Error).stack ?? ''); },
    };
    writeThreadLog(log, { type: 'log', level: 'warning', message: 'slow' }, '[thread 2]');
    writeThreadLog(log, { type: 'log', level: 'error', message: 'boom', stack: 'Error: boom\n    at x' }, '[thread 1]');
    expect(lines).toEqual(['warning [thread 2] slow', 'exception [thread 1] boom']);
    expect(stacks).toEqual(['Error: boom\n    at x']);
  });
});
