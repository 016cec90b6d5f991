/**
 * A module resolution hook (module.register): when `@pre/core` cannot be found from the importing
 * file — a worker class loaded by path from outside the project, or linked into it as a symlink
 * (Node resolves from the link's real location) — it resolves to the @pre/core that runs pre.
 */
interface ResolveContext {
  readonly parentURL?: string;
}
type NextResolve = (specifier: string, context: ResolveContext) => Promise<{ url: string }>;

let coreUrl = '';

export function initialize(data: { coreUrl: string }): void {
  coreUrl = data.coreUrl;
}

export async function resolve(specifier: string, context: ResolveContext, nextResolve: NextResolve): Promise<{ url: string; shortCircuit?: boolean }> {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    if (specifier === '@pre/core' && (err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') return { url: coreUrl, shortCircuit: true };
    throw err;
  }
}
