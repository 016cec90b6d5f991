// The script every worker process runs; the arbiter spawns it with the IPC channel and the sockets.
import { enableCompileCache } from '../compile-cache.js';

enableCompileCache(); // before the runtime's modules are compiled: hence the dynamic import below
const { WorkerRuntime } = await import('./runtime.js');
await WorkerRuntime.main();
