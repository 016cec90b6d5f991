import { docsUrl } from '../settings/docs-url.js';
import type { LoadedApp } from '../app/load.js';
import { PreError } from '../errors.js';
import { parseBindAddress } from '../listeners/address.js';
import { defaultValue } from '../settings/load.js';
import { SETTINGS, type SettingName, type Settings } from '../settings/registry.js';

/**
 * What a worker class can honour. A class declares it with `static capabilities`; pre refuses, at
 * start-up, in `--check-config` and on HUP, any setting or app the chosen class cannot honour,
 * instead of letting the class ignore it.
 */
export interface WorkerCapabilities {
  /** Serves HTTPS: certfile, keyfile, ca_certs, cert_reqs, ciphers, tls_min_version, the ssl_context hook. */
  readonly tls: boolean;
  /** Reads PROXY protocol headers (proxy_protocol). */
  readonly proxyProtocol: boolean;
  /** Applies forwarded_allow_ips, forwarder_headers and secure_scheme_headers. */
  readonly forwardedHeaders: boolean;
  /** Enforces headers_timeout. */
  readonly headersTimeout: boolean;
  /** Enforces request_timeout. */
  readonly requestTimeout: boolean;
  /** Keeps an idle connection open for `keepalive` seconds (a value above 0). */
  readonly keepalive: boolean;
  /** Honours `keepalive` 0: closes every connection after its response. */
  readonly keepaliveOff: boolean;
  /** Holds at most worker_connections connections per worker. */
  readonly workerConnections: boolean;
  /** Listens with the `backlog` setting. */
  readonly backlog: boolean;
  /** Serves `unix:PATH` binds. */
  readonly unixSockets: boolean;
  /** Serves sockets pre did not bind: `fd://N` binds and systemd socket activation. */
  readonly inheritedSockets: boolean;
  /** Runs the app on `threads` > 1 threads per process. */
  readonly threads: boolean;
  /** Serves Node request listeners `(req, res)` (Express, Koa, Fastify). */
  readonly nodeApps: boolean;
  /** Serves fetch apps `(request) => Response` (Hono, `{ fetch }`). */
  readonly fetchApps: boolean;
  /** Serves the `websocket` handlers an app exports. */
  readonly websockets: boolean;
  /** Enforces limit_request_body: 413 for a declared Content-Length over it, a body cut off when it crosses it. */
  readonly limitRequestBody: boolean;
  /** Serves HTTP/2 (`h2` in http_protocols, http2_cleartext). */
  readonly http2: boolean;
  /**
   * Moves keep-alive connections for keepalive_rebalance: reports its open connections
   * (`Worker#openConnections`) and closes some gracefully when asked (`Worker#shedConnections`).
   */
  readonly shedConnections: boolean;
}

export type Capability = keyof WorkerCapabilities;

/**
 * What a class that declares nothing gets: plain HTTP on the arbiter's sockets (whatever their kind:
 * the arbiter binds them), both app shapes. Everything a class must implement itself is off.
 */
export const DEFAULT_CAPABILITIES: WorkerCapabilities = Object.freeze({
  tls: false,
  proxyProtocol: false,
  forwardedHeaders: false,
  headersTimeout: false,
  requestTimeout: false,
  keepalive: false,
  keepaliveOff: false,
  workerConnections: false,
  backlog: false,
  unixSockets: true,
  inheritedSockets: true,
  threads: false,
  nodeApps: true,
  fetchApps: true,
  websockets: false,
  limitRequestBody: false,
  http2: false,
  shedConnections: false,
});

const CAPABILITY_NAMES = Object.keys(DEFAULT_CAPABILITIES) as Capability[];

/** How each capability reads in a refusal. */
export const CAPABILITY_LABELS: Readonly<Record<Capability, string>> = {
  tls: 'TLS',
  proxyProtocol: 'PROXY protocol',
  forwardedHeaders: 'forwarded headers',
  headersTimeout: 'headers timeout',
  requestTimeout: 'request timeout',
  keepalive: 'keep-alive',
  keepaliveOff: 'closing every connection after its response',
  workerConnections: 'connection limit',
  backlog: 'listen backlog',
  unixSockets: 'unix sockets',
  inheritedSockets: 'inherited sockets',
  threads: 'threads',
  nodeApps: 'Node request listeners',
  fetchApps: 'fetch apps',
  websockets: 'WebSockets',
  limitRequestBody: 'request body limit',
  http2: 'HTTP/2',
  shedConnections: 'moving keep-alive connections',
};

/** A class as far as capabilities go: what it declares, and whether it binds its own sockets. */
export interface CapabilityDeclaration {
  readonly capabilities?: Partial<WorkerCapabilities>;
  readonly bindsOwnListeners?: boolean;
}

/**
 * A class's capabilities: its declaration over the defaults (only known names, only booleans).
 * A class that binds its own sockets cannot serve inherited ones, whatever it declares.
 */
export function capabilitiesOf(declaration: CapabilityDeclaration): WorkerCapabilities {
  const declared = declaration.capabilities ?? {};
  const result = { ...DEFAULT_CAPABILITIES } as Record<Capability, boolean>;
  for (const name of CAPABILITY_NAMES) {
    if (typeof declared[name] === 'boolean') result[name] = declared[name];
  }
  if (declaration.bindsOwnListeners === true) result.inheritedSockets = false;
  return result;
}

/** One thing the class cannot honour: the setting (or the app), what it was given, and the capability it needs. */
export interface Refusal {
  /** The setting's name (`certfile`, `bind`), or `app`. */
  readonly setting: string;
  /** The value in question, as text. */
  readonly value: string;
  readonly capability: Capability;
}

type Rule = { readonly setting: SettingName; readonly capability: Capability; readonly applies: (settings: Settings) => boolean };

/** True when the setting differs from its default (computed without the environment: FORWARDED_ALLOW_IPS counts as set). */
export function isNonDefault(settings: Settings, name: SettingName): boolean {
  const value: unknown = settings[name];
  const fallback = defaultValue(SETTINGS[name], {});
  if (SETTINGS[name].kind === 'hook') return value !== null && value !== undefined;
  return JSON.stringify(value) !== JSON.stringify(fallback);
}

const nonDefault = (setting: SettingName, capability: Capability): Rule => ({ setting, capability, applies: (s) => isNonDefault(s, setting) });

/** Which setting needs which capability, and when. The one table of it. */
export const SETTING_RULES: readonly Rule[] = [
  nonDefault('certfile', 'tls'),
  nonDefault('keyfile', 'tls'),
  nonDefault('ca_certs', 'tls'),
  nonDefault('cert_reqs', 'tls'),
  nonDefault('ciphers', 'tls'),
  nonDefault('tls_min_version', 'tls'),
  nonDefault('ssl_context', 'tls'),
  { setting: 'proxy_protocol', capability: 'proxyProtocol', applies: (s) => s.proxy_protocol },
  nonDefault('forwarded_allow_ips', 'forwardedHeaders'),
  nonDefault('forwarder_headers', 'forwardedHeaders'),
  nonDefault('secure_scheme_headers', 'forwardedHeaders'),
  nonDefault('headers_timeout', 'headersTimeout'),
  nonDefault('request_timeout', 'requestTimeout'),
  { setting: 'keepalive', capability: 'keepalive', applies: (s) => s.keepalive > 0 && isNonDefault(s, 'keepalive') },
  { setting: 'keepalive', capability: 'keepaliveOff', applies: (s) => s.keepalive === 0 },
  nonDefault('worker_connections', 'workerConnections'),
  nonDefault('backlog', 'backlog'),
  { setting: 'threads', capability: 'threads', applies: (s) => s.threads > 1 },
  { setting: 'limit_request_body', capability: 'limitRequestBody', applies: (s) => s.limit_request_body > 0 },
  { setting: 'http_protocols', capability: 'http2', applies: (s) => s.http_protocols.includes('h2') },
  nonDefault('http2_cleartext', 'http2'),
  // `auto` simply stays inactive on a class that cannot: only an explicit `on` is refused.
  { setting: 'keepalive_rebalance', capability: 'shedConnections', applies: (s) => s.keepalive_rebalance === 'on' },
];

/**
 * Every setting in `settings` (and every address in `binds`: `bind`, or the sockets systemd passed)
 * that a class with `capabilities` cannot honour.
 */
export function settingRefusals(capabilities: WorkerCapabilities, settings: Settings, binds: readonly string[] = settings.bind): Refusal[] {
  const refusals: Refusal[] = [];
  for (const rule of SETTING_RULES) {
    if (!capabilities[rule.capability] && rule.applies(settings)) {
      refusals.push({ setting: rule.setting, value: describeValue(settings[rule.setting]), capability: rule.capability });
    }
  }
  for (const bind of binds) {
    const { kind } = parseBindAddress(bind);
    const capability = kind === 'unix' ? 'unixSockets' : kind === 'fd' ? 'inheritedSockets' : null;
    if (capability && !capabilities[capability]) refusals.push({ setting: 'bind', value: bind, capability });
  }
  return refusals;
}

/** What the app needs: its shape, and its `websocket` export. */
export function appRefusals(capabilities: WorkerCapabilities, app: Pick<LoadedApp, 'shape' | 'spec' | 'websocket'>): Refusal[] {
  const refusals: Refusal[] = [];
  const shape = app.shape === 'node' ? 'nodeApps' : 'fetchApps';
  if (!capabilities[shape]) refusals.push({ setting: 'app', value: app.spec, capability: shape });
  if (app.websocket && !capabilities.websockets) refusals.push({ setting: 'app', value: app.spec, capability: 'websockets' });
  return refusals;
}

export interface RefusalContext {
  /** The `worker_class` value, as the user wrote it. */
  readonly workerClass: string;
  /** True for async, sync, threads and uws: no "declare it" hint then. */
  readonly builtin: boolean;
  /** The class binds its own sockets (SO_REUSEPORT): said when it refuses a unix or inherited socket. */
  readonly bindsOwnListeners?: boolean;
  /** The built-in classes' capabilities, to name the ones that would do. */
  readonly alternatives: Readonly<Record<string, WorkerCapabilities>>;
}

/** One line per refusal, each naming the setting and the class, then how a third-party class declares support. */
export function formatRefusals(refusals: readonly Refusal[], context: RefusalContext): string {
  const name = context.workerClass;
  const lines = refusals.map((refusal) => {
    const others = Object.entries(context.alternatives)
      .filter(([other, caps]) => other !== name && caps[refusal.capability])
      .map(([other]) => other);
    const use = others.length > 0 ? `use --worker-class ${joinOr(others)}` : 'no built-in worker class does';
    return `worker class '${name}' ${describeRefusal(refusal, context)}: ${use}, or ${wayOut(refusal)}`;
  });
  if (!context.builtin) {
    const example = [...new Set(refusals.map((r) => `${r.capability}: true`))].join(', ');
    lines.push(`If the class '${name}' does support this, declare it: static capabilities = { ...Worker.capabilities, ${example} } (see ${docsUrl('writing-a-worker.md#capabilities')}).`);
  }
  return lines.join('\n');
}

/** Throws PRE_ERR_UNSUPPORTED_SETTING listing every refusal, or returns when there is none. */
export function refuseUnsupported(refusals: readonly Refusal[], context: RefusalContext): void {
  if (refusals.length > 0) throw new PreError('PRE_ERR_UNSUPPORTED_SETTING', formatRefusals(refusals, context));
}

function describeRefusal(refusal: Refusal, context: RefusalContext): string {
  const name = context.workerClass;
  const label = CAPABILITY_LABELS[refusal.capability];
  switch (refusal.capability) {
    case 'nodeApps':
      return `cannot serve ${refusal.value}: the ${name} worker class serves fetch-style apps only ({ fetch(request) }, Hono, ...), and ${refusal.value} is a Node request listener (req, res)`;
    case 'fetchApps':
      return `cannot serve ${refusal.value}: the ${name} worker class serves Node request listeners (req, res) only, and ${refusal.value} is a fetch handler`;
    case 'http2':
      return `cannot serve HTTP/2 (${refusal.setting} = ${refusal.value})`;
    case 'websockets':
      return `cannot serve the websocket handlers ${refusal.value} exports (${label})`;
    case 'unixSockets':
    case 'inheritedSockets':
      return context.bindsOwnListeners
        ? `cannot serve bind ${refusal.value} (${label}; it binds its own sockets with SO_REUSEPORT, which needs a TCP HOST:PORT)`
        : `cannot serve bind ${refusal.value} (${label})`;
    default:
      return `cannot honour ${refusal.setting} = ${refusal.value} (${label})`;
  }
}

function wayOut(refusal: Refusal): string {
  switch (refusal.capability) {
    case 'nodeApps': return 'export a fetch handler';
    case 'fetchApps': return 'export a (req, res) listener';
    case 'websockets': return 'remove the websocket export';
    case 'unixSockets':
    case 'inheritedSockets': return 'bind a TCP HOST:PORT';
    case 'keepaliveOff': return 'set keepalive above 0';
    case 'threads': return 'set threads to 1';
    case 'http2': return refusal.setting === 'http_protocols' ? 'set http_protocols to h1' : `leave ${refusal.setting} at its default (off)`;
    default: {
      const fallback = refusal.setting in SETTINGS ? defaultValue(SETTINGS[refusal.setting as SettingName], {}) : null;
      return fallback === null ? `remove ${refusal.setting}` : `leave ${refusal.setting} at its default (${describeValue(fallback)})`;
    }
  }
}

function describeValue(value: unknown): string {
  if (typeof value === 'function') return 'a hook';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function joinOr(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}
