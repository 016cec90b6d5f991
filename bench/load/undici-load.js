// The load generator when wrk is not installed: `connections` undici loops for `durationS` seconds.
// Usage: node undici-load.js '<json: {url, connections, durationS, method, bodyBytes, connectionClose}>'
// Prints one JSON line: { requests, rps, p50Ms, p99Ms, errors }.
import { Pool } from 'undici';
import { summary } from './percentiles.js';

const { url, connections, durationS, method = 'GET', bodyBytes = 0, connectionClose = false } = JSON.parse(process.argv[2]);
const target = new URL(url);
const pool = new Pool(target.origin, { connections, pipelining: 1 });
const body = bodyBytes ? Buffer.alloc(bodyBytes, 'x') : undefined;
const latencies = [];
let errors = 0;
const start = performance.now();
const deadline = start + durationS * 1000;

async function loop() {
  while (performance.now() < deadline) {
    const t0 = performance.now();
    try {
      const res = await pool.request({ path: target.pathname, method, body, reset: connectionClose });
      await res.body.dump({ limit: Infinity });
      if (res.statusCode >= 400) errors++;
      else latencies.push(performance.now() - t0);
    } catch {
      errors++;
    }
  }
}

await Promise.all(Array.from({ length: connections }, loop));
const elapsed = performance.now() - start;
await pool.close();
console.log(JSON.stringify(summary(latencies, errors, elapsed)));
