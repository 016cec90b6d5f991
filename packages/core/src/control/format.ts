import type { ListenerInfo } from '../listeners/address.js';
import type { StatsResult, WorkerRow } from './commands.js';

/** Human-readable output for a command's result (`--json` prints the result as is). */
export function formatResult(command: readonly string[], result: unknown, now = Date.now()): string {
  const name = command.slice(0, 2).join(' ').toLowerCase();
  const first = command[0]?.toLowerCase();
  if (name === 'show workers') return formatWorkers(result as WorkerRow[], now);
  if (name === 'show stats') return formatStats(result as StatsResult, now);
  if (name === 'show config') return formatConfig(result as Record<string, unknown>);
  if (name === 'show listeners') return (result as ListenerInfo[]).map((l) => `${l.url}  (${l.kind}${l.fd >= 0 ? `, fd ${l.fd}` : ''})`).join('\n');
  if (name === 'worker add' || name === 'worker remove') return `Target number of workers: ${(result as { numWorkers: number }).numWorkers}`;
  if (name === 'worker kill') {
    const { pid, signal } = result as { pid: number; signal: string };
    return `Sent ${signal} to worker ${pid}`;
  }
  if (first === 'reload' || first === 'reopen') return `${first === 'reload' ? 'Reload' : 'Log reopen'} requested`;
  if (first === 'shutdown') return `Shutdown (${(result as { shutdown: string }).shutdown}) requested`;
  if (first === 'help') {
    const rows = result as { usage: string; summary: string }[];
    return rows.map((r) => `  ${r.usage.padEnd(26)} ${r.summary}`).join('\n');
  }
  return JSON.stringify(result, null, 2);
}

export const WORKER_COLUMNS = ['PID', 'AGE', 'GEN', 'STATE', 'UPTIME', 'HEARTBEAT', 'REQUESTS', 'RSS', 'CPU%'] as const;

export function formatWorkers(rows: readonly WorkerRow[], now: number): string {
  const cells = rows.map((w) => [
    String(w.pid), String(w.age), String(w.generation), w.state,
    formatDuration(now - w.startedAt), w.lastHeartbeat > 0 ? `${formatDuration(now - w.lastHeartbeat, true)} ago` : '-',
    String(w.requests), formatBytes(w.rss), w.cpu === null ? '-' : w.cpu.toFixed(1),
  ]);
  return table([[...WORKER_COLUMNS], ...cells]);
}

export function formatStats(s: StatsResult, now: number): string {
  const rows: [string, string][] = [
    ['master', `${s.pid} (${s.procName})`], ['version', s.version], ['uptime', formatDuration(now - s.startedAt)],
    ['worker class', s.workerClass], ['workers', `${s.liveWorkers} running, target ${s.numWorkers}`],
    ['requests', String(s.requests)], ['worker exits', String(s.workerExits)], ['reloads', String(s.reloads)],
    ['master RSS', formatBytes(s.rss)], ['master CPU%', s.cpu === null ? '-' : s.cpu.toFixed(1)],
    ...(s.listenBacklog ?? []).map(({ url, queued }): [string, string] => ['backlog', `${queued} waiting on ${url}`]),
  ];
  return rows.map(([k, v]) => `${k.padEnd(13)} ${v}`).join('\n');
}

function formatConfig(settings: Record<string, unknown>): string {
  const names = Object.keys(settings);
  const width = Math.max(0, ...names.map((n) => n.length));
  return names.map((n) => `${n.padEnd(width)} = ${JSON.stringify(settings[n])}`).join('\n');
}

/** Left-aligned columns separated by two spaces. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

/** 850ms → "0.9s" (fine) ; 75 s → "1m15s"; 3.5 h → "3h30m"; days → "2d04h". */
export function formatDuration(ms: number, fine = false): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return fine && s < 10 ? `${s.toFixed(1)}s` : `${Math.floor(s)}s`;
  const pad = (n: number): string => String(Math.floor(n)).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${pad((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d${pad((s % 86400) / 3600)}h`;
}

export function formatBytes(bytes: number | null): string {
  if (bytes === null) return '-';
  const mib = bytes / (1024 * 1024);
  return mib >= 1024 ? `${(mib / 1024).toFixed(2)} GiB` : `${mib.toFixed(1)} MiB`;
}
