import { readFileSync } from 'node:fs';

/** Linux reports CPU times in clock ticks; USER_HZ is 100 on every architecture Node supports. */
const CLOCK_TICKS_PER_SECOND = 100;
/** A sample closer than this to the previous one reuses its CPU% (two `top`s would otherwise see noise). */
const MIN_SAMPLE_INTERVAL_MS = 250;

export interface ProcessUsage {
  /** Resident set size in bytes, or null where /proc is not available. */
  readonly rss: number | null;
  /** CPU use in percent of one core since the previous sample (the first: over the process's lifetime). */
  readonly cpu: number | null;
}

/** user + system CPU seconds of `pid` from /proc/PID/stat, or null. */
export function readCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / CLOCK_TICKS_PER_SECOND : null;
  } catch {
    return null;
  }
}

/** VmRSS of `pid` in bytes from /proc/PID/status, or null. */
export function readRssBytes(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

interface CpuSample {
  readonly at: number;
  readonly seconds: number;
  readonly percent: number;
}

/** Turns cumulative CPU times into a percentage between consecutive samples of each pid. */
export class CpuSampler {
  readonly #last = new Map<number, CpuSample>();

  /** `startedAt` (ms since the epoch) gives the lifetime average on a pid's first sample. */
  usage(pid: number, startedAt: number): ProcessUsage {
    const rss = readRssBytes(pid);
    const seconds = readCpuSeconds(pid);
    if (seconds === null) return { rss, cpu: null };
    const now = Date.now();
    const previous = this.#last.get(pid);
    if (previous && now - previous.at < MIN_SAMPLE_INTERVAL_MS) return { rss, cpu: previous.percent };
    const [since, base] = previous ? [previous.at, previous.seconds] : [startedAt, 0];
    const elapsed = Math.max(now - since, 1) / 1000;
    const percent = Math.round(Math.max(0, ((seconds - base) / elapsed) * 1000)) / 10;
    this.#last.set(pid, { at: now, seconds, percent });
    return { rss, cpu: percent };
  }

  /** Forgets pids not in `alive` (workers come and go). */
  prune(alive: ReadonlySet<number>): void {
    for (const pid of this.#last.keys()) if (!alive.has(pid)) this.#last.delete(pid);
  }
}
