// apps/hello, plus a timestamp when the worker imports it (`run.js --trace`).
import { appendFileSync } from 'node:fs';
import hello from '../../apps/hello/app.js';

appendFileSync(process.env.PRE_STARTUP_MARKS,
  `${JSON.stringify({ name: 'app_import', pid: process.pid, at: performance.timeOrigin + performance.now(), processStart: performance.timeOrigin, cpu: (process.cpuUsage().user + process.cpuUsage().system) / 1000 })}\n`);
export default hello;
