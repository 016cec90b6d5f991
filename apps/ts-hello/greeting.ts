// A second TypeScript module, imported with its .ts extension (what Node's type stripping requires; tsx accepts it too).
import { threadId } from 'node:worker_threads';

export interface Greeting {
  readonly hello: string;
  readonly pid: number;
  /** 0 in a worker process's main thread, ≥ 1 in a worker thread (`--worker-class threads`, uws `--threads`). */
  readonly threadId: number;
  /** Who turned this file into JavaScript: Node itself, or tsx's loader. */
  readonly typescript: 'node' | 'tsx';
}

export function greeting(name: string): Greeting {
  const typescript = (process.features as { typescript?: unknown }).typescript ? 'node' : 'tsx';
  return { hello: name, pid: process.pid, threadId, typescript };
}
