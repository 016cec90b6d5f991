// WebSocket echo load: `connections` clients, each sending 32 bytes and awaiting the echo, for `durationS` s.
// Usage: node ws-load.js '<json: {url, connections, durationS}>'. Prints { requests, rps, p50Ms, p99Ms, errors }.
import WebSocket from 'ws';
import { summary } from './percentiles.js';

const { url, connections, durationS } = JSON.parse(process.argv[2]);
const message = Buffer.alloc(32, 'x');
const latencies = [];
let errors = 0;
let start = 0;
let deadline = 0;

function client() {
  return new Promise((resolve) => {
    const ws = new WebSocket(url.replace(/^http/, 'ws'));
    let sentAt = 0;
    const send = () => {
      if (performance.now() >= deadline) return void ws.close();
      sentAt = performance.now();
      ws.send(message);
    };
    ws.on('open', () => opened(send));
    ws.on('message', () => {
      latencies.push(performance.now() - sentAt);
      send();
    });
    ws.on('error', () => errors++);
    ws.on('close', resolve);
  });
}

// Every client connects first, then all start together.
const waiting = [];
function opened(send) {
  waiting.push(send);
  if (waiting.length < connections) return;
  start = performance.now();
  deadline = start + durationS * 1000;
  for (const go of waiting) go();
}

const failsafe = setTimeout(() => process.exit(3), (durationS + 15) * 1000);
await Promise.all(Array.from({ length: connections }, client));
clearTimeout(failsafe);
console.log(JSON.stringify(summary(latencies, errors, performance.now() - start)));
