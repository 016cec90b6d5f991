// The HTTP/2 load generator when h2load is not installed: `connections` node:http2 sessions, each with
// `streams` concurrent request loops, for `durationS` seconds (h2c prior knowledge).
// Usage: node h2-load.js '<json: {url, connections, streams, durationS}>'
// Prints one JSON line: { requests, rps, p50Ms, p99Ms, errors }.
import http2 from 'node:http2';
import { summary } from './percentiles.js';

const { url, connections, streams, durationS } = JSON.parse(process.argv[2]);
const target = new URL(url);
const latencies = [];
let errors = 0;
const start = performance.now();
const deadline = start + durationS * 1000;

function get(session) {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':path': target.pathname });
    let status = 0;
    stream.on('response', (h) => (status = h[':status']));
    stream.on('data', () => {});
    stream.on('end', () => resolve(status));
    stream.on('error', reject);
  });
}

async function connection() {
  const session = http2.connect(target.origin);
  session.on('error', () => {});
  const loop = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        if ((await get(session)) >= 400) errors++;
        else latencies.push(performance.now() - t0);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: streams }, loop));
  session.close();
}

await Promise.all(Array.from({ length: connections }, connection));
console.log(JSON.stringify(summary(latencies, errors, performance.now() - start)));
