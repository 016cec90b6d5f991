// A pre config whose hooks only write timestamps (ms since the epoch) to $PRE_STARTUP_MARKS, one JSON line each:
// where start-up time goes, seen through pre's public hooks. Used by `run.js --trace`.
import { appendFileSync } from 'node:fs';

// cpu: the process's CPU time so far (ms, every thread): steadier than wall time on a busy machine.
const cpuMs = () => { const { user, system } = process.cpuUsage(); return (user + system) / 1000; };
const mark = (name, extra = {}) => appendFileSync(process.env.PRE_STARTUP_MARKS,
  `${JSON.stringify({ name, pid: process.pid, at: performance.timeOrigin + performance.now(), processStart: performance.timeOrigin, cpu: cpuMs(), ...extra })}\n`);

export default {
  on_starting: () => mark('on_starting'), // the arbiter: settings read, worker class checked
  when_ready: () => mark('when_ready'), // sockets bound (not listening yet), metrics/control started
  pre_fork: (_arbiter, worker) => mark('pre_fork', { age: worker.age }),
  post_fork: () => mark('post_fork'), // in the worker: its modules imported and the init message read
  post_worker_init: () => mark('post_worker_init'), // the worker class and the app loaded; next: listen
};
