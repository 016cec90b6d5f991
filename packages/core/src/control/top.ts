import type { ControlClient } from './client.js';
import type { StatsResult, WorkerRow } from './commands.js';
import { formatBytes, formatDuration, formatWorkers } from './format.js';

export interface TopOptions {
  readonly intervalMs: number;
  /** Frames to draw before exiting; null: until q or Ctrl-C. */
  readonly iterations: number | null;
  /** One JSON line per frame instead of a screen. */
  readonly json: boolean;
}

const CLEAR = '\x1b[H\x1b[2J';
const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';

/** `pre ctl top`: redraws the arbiter's stats and worker rows every interval, like `pm2 monit`. */
export async function runTop(client: ControlClient, options: TopOptions): Promise<number> {
  const screen = process.stdout.isTTY === true && !options.json;
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const keys = listenForQuit(stop);
  process.once('SIGINT', stop);
  if (screen) process.stdout.write(HIDE_CURSOR);
  let previous: { at: number; requests: number } | null = null;
  let done = false;
  void stopped.then(() => (done = true));
  try {
    for (let frame = 1; !done; frame++) {
      const [stats, workers] = await Promise.all([ask<StatsResult>(client, ['show', 'stats']), ask<WorkerRow[]>(client, ['show', 'workers'])]);
      const now = Date.now();
      const rate = previous ? ((stats.requests - previous.requests) * 1000) / Math.max(now - previous.at, 1) : null;
      previous = { at: now, requests: stats.requests };
      if (options.json) process.stdout.write(`${JSON.stringify({ at: now, stats, workers })}\n`);
      else process.stdout.write(`${screen ? CLEAR : frame > 1 ? '\n' : ''}${renderFrame(stats, workers, rate, now)}\n${screen ? "\nq: quit\n" : ''}`);
      if (options.iterations !== null && frame >= options.iterations) break;
      await Promise.race([stopped, new Promise((r) => setTimeout(r, options.intervalMs))]);
    }
    return 0;
  } catch (err) {
    process.stderr.write(`${screen ? '\n' : ''}Error: ${(err as Error).message}\n`);
    return 1;
  } finally {
    if (screen) process.stdout.write(SHOW_CURSOR);
    keys.close();
    process.off('SIGINT', stop);
  }
}

export function renderFrame(stats: StatsResult, workers: readonly WorkerRow[], rate: number | null, now: number): string {
  const header = [
    `pre ${stats.version} · master ${stats.pid} [${stats.procName}] · up ${formatDuration(now - stats.startedAt)}`,
    `workers ${stats.liveWorkers}/${stats.numWorkers} (${stats.workerClass}) · requests ${stats.requests}` +
      `${rate === null ? '' : ` · ${rate.toFixed(1)} req/s`} · exits ${stats.workerExits} · reloads ${stats.reloads}` +
      ` · master RSS ${formatBytes(stats.rss)} CPU ${stats.cpu === null ? '-' : `${stats.cpu.toFixed(1)}%`}`,
  ];
  return `${header.join('\n')}\n\n${formatWorkers(workers, now)}`;
}

async function ask<T>(client: ControlClient, command: string[]): Promise<T> {
  const response = await client.request(command);
  if (!response.ok) throw new Error(`${command.join(' ')}: ${response.error.message}`);
  return response.result as T;
}

/** q or Ctrl-C on a terminal stops; raw mode so no Enter is needed. */
function listenForQuit(stop: () => void): { close(): void } {
  const stdin = process.stdin;
  if (!stdin.isTTY) return { close: () => undefined };
  const onData = (key: Buffer): void => {
    const text = key.toString();
    if (text === 'q' || text === 'Q' || text === '\x03') stop();
  };
  stdin.setRawMode(true);
  stdin.on('data', onData);
  stdin.resume();
  return {
    close: () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
    },
  };
}
