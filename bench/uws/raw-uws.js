// Peer: raw uWebSockets.js, one process, the same hello handler as hello-app.js.
import { createRequire } from 'node:module';

const uWS = createRequire(import.meta.url)('@trufflesuite/uws-js-unofficial');
if (typeof uWS.H3App !== 'function') throw new Error('the native uWebSockets.js build did not load');
uWS.App()
  .get('/*', (res) => void res.end('Hello, World!'))
  .listen('127.0.0.1', Number(process.env.PORT), (socket) => {
    if (!socket) throw new Error(`cannot listen on ${process.env.PORT}`);
    console.log('listening');
  });
