// The script every worker process runs; the arbiter spawns it with the IPC channel and the sockets.
import { WorkerRuntime } from './runtime.js';

await WorkerRuntime.main();
