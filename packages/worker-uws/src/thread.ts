/**
 * Entry of an extra uWS thread (`--threads N`): loads the app again (functions cannot cross threads),
 * serves it on the same ports with its own uWS app, and reports requests, log lines and liveness to
 * the worker's main thread, which owns hooks, the access log and max_requests.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PreError, PreRequestAsker, ThreadLogger, heartbeatInterval, loadApp } from '@pre/core';
import { installLightResponse } from './light-response.js';
import { loadUws } from './native.js';
import { maxHeaderBytes } from './request-head.js';
import type { FinishedRequest, RequestSink } from './request-sink.js';
import { UwsServer } from './server.js';
import type { FromThread, ThreadData, ToThread } from './thread-protocol.js';

const data = workerData as ThreadData;
const port = parentPort!;
const post = (message: FromThread): void => port.postMessage(message);

const log = new ThreadLogger(port, data.settings.loglevel);

/** Finished requests go to the main thread in one message per event loop turn. */
let batch: FinishedRequest[] = [];
const flush = (): void => {
  const requests = batch;
  batch = [];
  if (requests.length > 0) post({ type: 'finished', requests });
};

const preRequest = new PreRequestAsker(post);

const sink: RequestSink = {
  hooks: data.hooks,
  accessLog: data.accessLog,
  started: (info) => preRequest.ask(info),
  finished: (request) => {
    if (batch.length === 0) setImmediate(flush);
    batch.push(request);
  },
};

async function main(): Promise<void> {
  let server: UwsServer;
  try {
    const uws = loadUws(maxHeaderBytes(data.settings));
    installLightResponse();
    const app = await loadApp(data.appSpec, data.cwd, data.appShape);
    if (app.shape !== 'fetch') throw new PreError('PRE_ERR_APP_SHAPE', 'the app is not a fetch handler');
    server = new UwsServer({ uws, fetch: app.fetch, websocket: app.websocket, settings: data.settings, listeners: data.listeners, log, sink, apps: data.settings.threads });
    server.listen();
  } catch (err) {
    post({ type: 'boot_error', message: err instanceof Error ? err.message : String(err) });
    return;
  }
  // As often as the process beats, so that the main thread's heartbeat() (ThreadLink#isAlive) never sees a live thread as late.
  const alive = setInterval(() => post({ type: 'alive' }), heartbeatInterval(data.settings.timeout));
  port.on('message', (message: ToThread) => {
    if (message.type === 'pre_request_done') preRequest.answered(message);
    else if (message.type === 'stop') {
      void server.stop(message.graceful).then(() => {
        clearInterval(alive);
        flush();
        post({ type: 'stopped' });
        port.close(); // nothing left: the thread ends on its own (terminate() with a live uWS app would abort the process)
      });
    }
  });
  post({ type: 'listening' });
}

void main();
