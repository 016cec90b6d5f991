// Requests served per pre worker, from `pre ctl show workers --json` on the control socket.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PRE_BIN } from './pre-classes.js';

const run = promisify(execFile);

/** Workers report their request counts to the arbiter once a second: wait this long before reading them. */
export const PRE_STATS_LAG_MS = 1100;

/** Map(worker pid → requests served so far). */
export async function preRequestsPerWorker(controlSocket) {
  const { stdout } = await run(process.execPath, [PRE_BIN, 'ctl', '-s', controlSocket, '--json', 'show', 'workers'], { timeout: 15_000 });
  return new Map(JSON.parse(stdout).map((w) => [w.pid, w.requests]));
}

/** Requests each worker served between two readings. */
export function requestsBetween(before, after) {
  return new Map([...after].map(([pid, n]) => [pid, n - (before.get(pid) ?? 0)]));
}
