// A stand-in for a database pool (pg.Pool, mysql2.createPool, ...): opening and closing take time,
// and queries fail once it is closed. The app opens one per worker process (see app.js).
import { setTimeout as sleep } from 'node:timers/promises';

export class Pool {
  #open = false;
  #queries = 0;

  async connect() {
    await sleep(50); // the handshake with the database
    this.#open = true;
  }

  async query(sql) {
    if (!this.#open) throw new Error('the pool is not open');
    this.#queries++;
    return { sql, rows: [{ now: new Date().toISOString() }] };
  }

  async end() {
    await sleep(50); // waiting for checked-out connections to come back
    this.#open = false;
  }

  get stats() {
    return { open: this.#open, queries: this.#queries };
  }
}
