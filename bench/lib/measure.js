// One measurement: the load generator against a running server, with the server's RSS and CPU sampled.
import { runLoad } from './load.js';
import { procStat } from './processes.js';

const cpuOf = (pids) => new Map(pids.map((pid) => [pid, procStat(pid)?.cpu ?? 0]));

/** { rps, p50Ms, p99Ms, errors, rssMB (peak of the server's process tree), masterCpuShare }. */
export async function measure(server, port, scenario, durationS, generator) {
  const before = cpuOf(server.tree());
  let peakRss = 0;
  const sample = () => {
    const rss = server.tree().reduce((sum, pid) => sum + (procStat(pid)?.rss ?? 0), 0);
    peakRss = Math.max(peakRss, rss);
  };
  const sampler = setInterval(sample, 250);
  try {
    const load = await runLoad(port, scenario, durationS, generator);
    sample();
    const after = cpuOf(server.tree());
    let total = 0;
    for (const [pid, cpu] of after) total += cpu - (before.get(pid) ?? 0);
    const master = server.masterPid ? (after.get(server.masterPid) ?? 0) - (before.get(server.masterPid) ?? 0) : NaN;
    return { ...load, rssMB: peakRss / 2 ** 20, masterCpuShare: server.masterPid && total > 0 ? master / total : null };
  } finally {
    clearInterval(sampler);
  }
}
