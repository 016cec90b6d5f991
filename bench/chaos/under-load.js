// Runs one chaos event under a client loop: traffic first, then the event, then traffic after recovery.
import { procStat, processTree, waitFor } from '../lib/processes.js';
import { startClientLoop } from './client-loop.js';

/**
 * Starts the client loop on `pre`, waits for `warm` answered requests, runs `fire(liveStats)` (which resolves once
 * the server has recovered, optionally with its own recovery time in ms), then waits for `tail` more answers. Returns the loop's counts and the recovery time.
 */
export async function underLoad(pre, fire, { warm = 50, tail = 50, ...loopOptions } = {}) {
  const loop = startClientLoop(pre.url, loopOptions);
  let recoveryMs = null;
  let error = null;
  let note = null;
  try {
    await waitFor(() => loop.stats.ok >= warm, `${warm} answered requests before the event`, 20_000);
    const t0 = performance.now();
    const measured = await fire(loop.stats);
    // fire() may return its own measure (e.g. the time until a hung request ended, not until its
    // replacement booted) and a note.
    recoveryMs = measured?.recoveryMs ?? performance.now() - t0;
    note = measured?.note ?? null;
    const okAtRecovery = loop.stats.ok;
    await waitFor(() => loop.stats.ok >= okAtRecovery + tail, `${tail} answered requests after the event`, 20_000);
  } catch (err) {
    error = err.message.split('\n')[0];
  }
  return { ...(await loop.stop()), recoveryMs, error, ...(note && { note }) };
}

/** The RSS (bytes) of pre's whole process tree: arbiter and workers. */
export function treeRss(pid) {
  return processTree(pid).reduce((sum, p) => sum + (procStat(p)?.rss ?? 0), 0);
}
