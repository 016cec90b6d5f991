// One h2load run (Debian's nghttp2-client) against 127.0.0.1, bounded by a duration, parsed.
import { startProcess } from '../lib/processes.js';

/** h2load `-c connections -m streams -t 1 -D durationS` on `url`: requests succeeded, errors, req/s. */
export async function runH2load(url, { connections, streams, durationS }) {
  const proc = startProcess('h2load', ['-c', String(connections), '-m', String(streams), '-t', '1', '-D', String(durationS), url], { role: 'load' });
  const { code } = await proc.exited;
  const out = proc.output;
  if (code !== 0) throw new Error(`h2load failed (${code}): ${out.slice(-500)}`);
  const done = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(out);
  if (!done) throw new Error(`h2load printed no request counts: ${out.slice(-500)}`);
  return {
    requests: Number(done[1]),
    errors: Number(done[2]) + Number(done[3]),
    rps: Number(/finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(out)?.[1] ?? NaN),
  };
}
