// Runs wrk (pinned to the load core) for one scenario and parses its report.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startProcess } from './processes.js';

export const HAS_WRK = spawnSync('wrk', ['--version']).error === undefined;

const UNIT_MS = { us: 0.001, ms: 1, s: 1000, m: 60_000 };
const toMs = (value, unit) => Number(value) * UNIT_MS[unit];

function postScript(bytes) {
  const file = path.join(os.tmpdir(), `pre-bench-post-${bytes}.lua`);
  writeFileSync(file, `wrk.method = "POST"\nwrk.body = string.rep("x", ${bytes})\nwrk.headers["Content-Type"] = "application/octet-stream"\n`);
  return file;
}

/** { requests, rps, p50Ms, p99Ms, errors } for `durationS` seconds of `scenario` against `port`. */
export async function runWrk(port, scenario, durationS) {
  const args = ['-t1', `-c${scenario.connections}`, `-d${durationS}s`, '--timeout', '5s', '--latency'];
  if (scenario.connectionClose) args.push('-H', 'Connection: close');
  if (scenario.method === 'POST') args.push('-s', postScript(scenario.bodyBytes));
  args.push(`http://127.0.0.1:${port}${scenario.path}`);
  const proc = startProcess('wrk', args, { role: 'load' });
  const { code } = await proc.exited;
  const out = proc.output;
  if (code !== 0) throw new Error(`wrk failed (${code}): ${out.slice(-500)}`);
  const latency = (pct) => {
    const m = new RegExp(`^\\s*${pct}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out);
    return m ? toMs(m[1], m[2]) : NaN;
  };
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  // wrk counts a server's close after "Connection: close" as a read error: not a failure there.
  const hardErrors = socketErrors ? Number(socketErrors[1]) + Number(socketErrors[3]) + Number(socketErrors[4]) + (scenario.connectionClose ? 0 : Number(socketErrors[2])) : 0;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  return { requests, rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0), p50Ms: latency(50), p99Ms: latency(99), errors: hardErrors + non2xx };
}
