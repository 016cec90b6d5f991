#!/usr/bin/env node
// pre's own JavaScript per request, without uWS or sockets: the uws route callback (createHttpHandler)
// driven with stand-ins for uWS's HttpRequest/HttpResponse whose methods do nothing, serving the bench's
// fetch app (bench/apps/pre-fetch-app.js, GET /), against the least a fetch adapter does with the same
// stand-ins and app (perf/minimal-adapter.mjs's route). The difference is what pre's duties cost in JS
// (request checks, proxy headers, limits, accounting, drain); native calls into uWS are not in either.
//   node perf/handler-cost.mjs [REQUESTS] [pre|minimal]
import { createHttpHandler } from '../dist/http-handler.js';
import { UwsDrain } from '../dist/drain.js';
import { installLightResponse, responseParts } from '../dist/light-response.js';
import { reporterSink } from '../dist/request-sink.js';

const requests = Number(process.argv[2] ?? 300_000);
const which = process.argv[3] ?? 'both'; // 'pre', 'minimal', or both (each in a process of its own)
const BATCH = 100; // requests in flight at once (below worker_connections)
const RUNS = 9;
installLightResponse();
const app = (await import(new URL('../../../bench/apps/pre-fetch-app.js', import.meta.url).href)).default;

const settings = {
  keepalive: 2, proxy_protocol: false, proxy_allow_ips: '127.0.0.1', request_timeout: 0, headers_timeout: 10, limit_request_body: 0,
  limit_request_line: 4094, limit_request_fields: 100, limit_request_field_size: 8190, worker_connections: 1000,
  forwarded_allow_ips: '127.0.0.1,::1', forwarder_headers: 'X-FORWARDED-FOR',
  secure_scheme_headers: { 'X-FORWARDED-PROTOCOL': 'ssl', 'X-FORWARDED-PROTO': 'https', 'X-FORWARDED-SSL': 'on' },
};
let served = 0;
const reporter = { hasRequestHooks: false, wantsAccessEntries: false, requestStarted: async () => {}, requestFinished: () => void served++ };
const log = { debug() {}, info() {}, warning() {}, error() {}, exception(message, err) { throw err; } };

const req = { getCaseSensitiveMethod: () => 'GET', getQuery: () => undefined, getUrl: () => '/', getHeader: () => '127.0.0.1:8000', forEach: (cb) => void cb('host', '127.0.0.1:8000') };
let ended = 0;
const res = {
  onAborted() {}, onData() {}, onWritable() {}, pause() {}, resume() {}, close() {},
  cork(cb) { cb(); return res; }, writeStatus() { return res; }, writeHeader() { return res; },
  end() { ended++; return res; }, endWithoutBody() { ended++; return res; }, tryEnd() { ended++; return [true, true]; }, getWriteOffset: () => 0,
};

const pre = createHttpHandler({ fetch: app.fetch, settings, log, sink: reporterSink(reporter), drain: new UwsDrain(), tls: false, maxInFlight: 1000 });

function minimal(res, req) {
  const query = req.getQuery();
  const request = { method: req.getCaseSensitiveMethod(), url: `http://${req.getHeader('host')}${req.getUrl()}${query ? `?${query}` : ''}` };
  let aborted = false;
  res.onAborted(() => (aborted = true));
  app.fetch(request).then((response) => {
    if (aborted) return;
    const parts = responseParts(response);
    res.cork(() => {
      res.writeStatus('200 OK');
      for (let i = 0; i < parts.headers.length; i += 2) res.writeHeader(parts.headers[i], parts.headers[i + 1]);
      res.end(parts.body ?? '');
    });
  });
}

async function measure(handler) {
  const before = ended;
  const t0 = process.cpuUsage(); // CPU time, not wall time: the box is shared
  for (let i = 0; i < requests; i += BATCH) {
    for (let j = 0; j < BATCH; j++) handler(res, req);
    await new Promise(setImmediate); // every response written (the app's promises settle in microtasks)
  }
  const used = process.cpuUsage(t0);
  const ns = ((used.user + used.system) * 1000) / requests;
  if (ended - before !== requests) throw new Error(`${ended - before} of ${requests} responses written`);
  return ns;
}

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
// One handler per process: sharing the app and the stand-ins between two callers changes what V8 inlines.
if (which === 'both') {
  const { execFileSync } = await import('node:child_process');
  const run = (name) => Number(execFileSync(process.execPath, [new URL(import.meta.url).pathname, String(requests), name], { encoding: 'utf8' }).trim());
  const m = [];
  const p = [];
  for (let r = 0; r < 3; r++) {
    m.push(run('minimal'));
    p.push(run('pre'));
  }
  console.log(`minimal adapter + app: ${m.map((x) => x.toFixed(0)).join(', ')} ns/request`);
  console.log(`pre's route callback + app: ${p.map((x) => x.toFixed(0)).join(', ')} ns/request`);
  console.log(`pre's duties (medians): ${(median(p) - median(m)).toFixed(0)} ns/request`);
} else {
  const times = [];
  for (let r = 0; r < RUNS; r++) times.push(await measure(which === 'pre' ? pre : minimal));
  if (which === 'pre' && served === 0) throw new Error('pre reported no request');
  console.log(median(times));
}
