// One pass of one scenario: the load generator against a running server, with the CPU time of the
// server's whole process tree (master included) sampled just before and just after.
import { busiestShare } from './burst.js';
import { runLoad } from './load.js';
import { cpuDelta, cpuSample } from './tree-sample.js';

/**
 * { requests, rps, p50Ms, p99Ms, errors, cpuUsPerRequest (all processes), masterCpuShare (of the tree's CPU),
 *   cpuBusiestShare (the busiest non-master process's share of the workers' CPU: the split proxy) }.
 */
export async function measure(server, port, scenario, durationS, generator) {
  const before = cpuSample(server);
  const load = await runLoad(port, scenario, durationS, generator);
  const used = cpuDelta(before, cpuSample(server), server.masterPid);
  return {
    ...load,
    cpuUsPerRequest: load.requests > 0 ? (used.total * 1e6) / load.requests : NaN,
    masterCpuShare: server.masterPid && used.total > 0 ? used.master / used.total : null,
    cpuBusiestShare: used.perProcess.size >= 2 ? busiestShare(used.perProcess.values()) : null,
  };
}
