#!/usr/bin/env node
// What bench/apps/pre-fetch-app.js's hello route costs by itself, outside any server: the Web-API objects
// it builds per request (`new URL(request.url)`, `new Response(text, { headers: {…} })`) and its async
// call, with Node's own Response and with the light Response a uws worker installs. Many iterations on the
// same objects; CPU ns per iteration, the median of several runs.
//   node perf/app-cost.mjs [ITERATIONS]
import { installLightResponse } from '../dist/light-response.js';

const iterations = Number(process.argv[2] ?? 1_000_000);
const RUNS = 7;
const URL_TEXT = 'http://127.0.0.1:8000/';
const HELLO = 'Hello, World!\n';
const NativeResponse = globalThis.Response;
let sink = 0;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function measure(label, body) {
  const runs = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.cpuUsage(); // CPU time, not wall time: the box is shared
    await body(iterations);
    const used = process.cpuUsage(t0);
    runs.push(((used.user + used.system) * 1000) / iterations);
  }
  console.log(`${label.padEnd(58)} ${median(runs).toFixed(0).padStart(6)} ns`);
}

const headers = () => ({ 'content-type': 'text/plain' });
await measure('new URL(url).pathname', (n) => {
  for (let i = 0; i < n; i++) sink += new URL(URL_TEXT).pathname.length;
});
await measure("Node's new Response(text, { headers: {…} })", (n) => {
  for (let i = 0; i < n; i++) sink += new NativeResponse(HELLO, { headers: headers() }).status;
});
installLightResponse();
const Light = globalThis.Response;
if (Light === NativeResponse) throw new Error('the light Response did not install');
await measure("pre's light new Response(text, { headers: {…} })", (n) => {
  for (let i = 0; i < n; i++) sink += new Light(HELLO, { headers: headers() }).status;
});
const request = { url: URL_TEXT };
const app = {
  async fetch(req) {
    const url = new URL(req.url);
    switch (url.pathname) {
      case '/': return new Light(HELLO, { headers: headers() });
      default: return new Light('Not Found\n', { status: 404 });
    }
  },
};
await measure('the whole hello route: async fetch(), awaited (light Response)', async (n) => {
  for (let i = 0; i < n; i++) sink += (await app.fetch(request)).status;
});
await measure('an async function call, awaited (the promise alone)', async (n) => {
  const empty = async () => 1;
  for (let i = 0; i < n; i++) sink += await empty();
});
if (sink === 0) console.log('');
