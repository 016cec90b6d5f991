// node:cluster (round-robin) serving apps/hello's handler: the peer of `pre apps/hello -w 2`.
import cluster from 'node:cluster';
import http from 'node:http';
import hello from '../../apps/hello/app.js';

if (cluster.isPrimary) {
  for (let i = 0; i < Number(process.env.WORKERS ?? 2); i++) cluster.fork();
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill();
    process.exit(0);
  });
} else {
  http.createServer(hello).listen(Number(process.env.PORT), '127.0.0.1');
}
