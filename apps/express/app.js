// An ordinary Express 5 app; pre serves its default export. Run it with:  pre apps/express
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { Pool } from './pool.js';

const REPORT = fileURLToPath(new URL('./files/report.csv', import.meta.url));
const pool = new Pool();
const app = express();

app.use(express.json());

app.get('/', (req, res) => {
  res.type('text').send('Hello from Express\n');
});

app.get('/pid', (req, res) => {
  res.type('text').send(String(process.pid));
});

app.get('/users/:id', (req, res) => {
  res.json({ id: Number(req.params.id), name: `user ${req.params.id}` });
});

app.post('/echo', (req, res) => {
  res.status(201).json({ received: req.body });
});

app.get('/stream', async (req, res) => {
  res.type('text');
  for (let i = 1; i <= 5; i++) {
    res.write(`chunk ${i}\n`);
    await sleep(20);
  }
  res.end();
});

app.get('/download', (req, res) => {
  res.download(REPORT, 'report.csv');
});

app.get('/db', async (req, res) => {
  const result = await pool.query('select now()');
  res.json({ rows: result.rows, pool: pool.stats });
});

app.get('/error', async () => {
  throw new Error('boom (on purpose)');
});

export default app;

// Lifecycle hooks: pre runs them in each worker process, bounded by `timeout` and `graceful_timeout`.
export async function onWorkerStart(worker) {
  await pool.connect();
  worker.log.info(`Database pool opened (pid: ${worker.pid})`);
}

export async function onWorkerStop(worker) {
  await pool.end();
  worker.log.info(`Database pool closed (pid: ${worker.pid}, ${pool.stats.queries} queries)`);
}
