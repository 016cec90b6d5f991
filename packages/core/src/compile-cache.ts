import module from 'node:module';

/**
 * Node's on-disk cache of compiled modules (Node 22.1+; absent on Node 20, where this does nothing): later
 * starts of the master and of every worker skip compiling pre's modules and the app's. The cache lives in
 * Node's default temporary directory (os.tmpdir()/node-compile-cache); NODE_DISABLE_COMPILE_CACHE=1 turns
 * it off. Returns whether the cache is on.
 */
export function enableCompileCache(): boolean {
  const enable = (module as { enableCompileCache?: () => { status: number } }).enableCompileCache;
  if (typeof enable !== 'function') return false;
  try {
    const { status } = enable();
    const { ENABLED, ALREADY_ENABLED } = (module as unknown as { constants: { compileCacheStatus: Record<string, number> } }).constants.compileCacheStatus;
    return status === ENABLED || status === ALREADY_ENABLED;
  } catch {
    return false; // a cache directory that cannot be created: start without it
  }
}
