// CPU time and RSS of a server's whole process tree (master and workers), read from /proc.
import { procStat, vmRss } from './processes.js';

/** { pid → CPU seconds (utime+stime) } over every live process of the server's tree. */
export function cpuSample(server) {
  return new Map(server.tree().map((pid) => [pid, procStat(pid)?.cpu ?? 0]));
}

/**
 * CPU seconds used between two samples: in total, by the master, and by each other process (a process that
 * appeared in between counts from 0; one that exited in between is lost, which the bench avoids by not
 * restarting workers during a pass).
 */
export function cpuDelta(before, after, masterPid) {
  const perProcess = new Map();
  let total = 0;
  for (const [pid, cpu] of after) {
    const used = Math.max(0, cpu - (before.get(pid) ?? 0));
    total += used;
    if (pid !== masterPid) perProcess.set(pid, used);
  }
  const master = masterPid ? Math.max(0, (after.get(masterPid) ?? 0) - (before.get(masterPid) ?? 0)) : 0;
  return { total, master, perProcess };
}

/** VmRSS in MB of the master (null when one process serves) and of each worker process. */
export function rssSample(server) {
  const mb = (bytes) => (bytes ?? NaN) / 2 ** 20;
  const workers = server.tree().filter((pid) => pid !== server.masterPid).map((pid) => mb(vmRss(pid))).filter(Number.isFinite);
  return { masterMB: server.masterPid ? mb(vmRss(server.masterPid)) : null, workerMB: workers };
}
