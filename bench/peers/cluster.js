// Peer: node:cluster (round-robin) with WORKERS node:http workers running the shared routes on $PORT.
import cluster from 'node:cluster';
import { fileURLToPath } from 'node:url';

if (cluster.isPrimary) {
  cluster.setupPrimary({ exec: fileURLToPath(new URL('../apps/node-server.js', import.meta.url)) });
  const workers = Number(process.env.WORKERS ?? 2);
  for (let i = 0; i < workers; i++) cluster.fork();
  let listening = 0;
  cluster.on('listening', () => ++listening === workers && console.log(`cluster listening on ${process.env.PORT}`));
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill();
    process.exit(0);
  });
}
