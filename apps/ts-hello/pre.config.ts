// A typed config file beside the app: loaded by the arbiter and by each worker (for its hooks).
import { defineConfig, type WorkerInfo } from '@pre/core';

const workers: number = 2;

export default defineConfig({
  workers,
  post_fork(worker: WorkerInfo): void {
    worker.log.info(`ts-hello: worker ${worker.pid} (${worker.workerClass}) forked`);
  },
});
