import type { Hooks } from '../hooks.js';
import { SettingValueError, type SettingSpec } from './types.js';
import * as v from './validators.js';
import { DEFAULT_ACCESS_LOG_FORMAT } from '../logging/access-log.js';
import type { LogLevel } from '../logging/levels.js';
import { LOG_FORMATS, type LogFormat } from '../logging/log-format.js';
import { defaultSyslogAddress } from '../logging/syslog-address.js';

/** Declares one setting; the value type is inferred from its validator. */
function setting<T>(spec: SettingSpec<T>): SettingSpec<T> {
  return spec;
}

function hookSetting<K extends keyof Hooks>(name: K, signature: string, desc: string): SettingSpec<Hooks[K] | null> {
  return setting({
    name,
    section: 'Server Hooks',
    kind: 'hook',
    validate: (raw) => v.hook<Hooks[K]>(raw),
    default: null,
    defaultDoc: 'none',
    short: `Hook: ${signature}`,
    desc: `\`${signature}\`\n\n${desc}`,
  });
}

export const APP_SHAPES = ['auto', 'node', 'fetch'] as const;
export type AppShapeSetting = (typeof APP_SHAPES)[number];

export const KEEPALIVE_REBALANCE_MODES = ['auto', 'on', 'off'] as const;
export type KeepaliveRebalance = (typeof KEEPALIVE_REBALANCE_MODES)[number];

/** A protocol of `http_protocols`. */
export type HttpProtocol = 'h1' | 'h2';

/** `http_protocols`: 'h2,h1' or ['h2', 'h1']; at least one, no repeats, in the order given (the ALPN preference). */
function httpProtocols(raw: unknown): readonly HttpProtocol[] {
  const items = typeof raw === 'string' ? raw.split(',').map((item) => item.trim().toLowerCase()) : raw;
  const expected = "a comma-separated list of 'h1' and 'h2' (for example 'h2,h1')";
  if (!Array.isArray(items) || items.length === 0) throw new SettingValueError(expected);
  const result: HttpProtocol[] = [];
  for (const item of items) {
    if ((item !== 'h1' && item !== 'h2') || result.includes(item)) throw new SettingValueError(expected);
    result.push(item);
  }
  return result;
}

/**
 * Every setting of pre, declared once. The CLI parser, the config-file loader, --help,
 * validation messages and docs/settings.md are all generated from this table.
 */
export const SETTINGS = {
  // --- Config File ---
  config: setting({
    name: 'config', section: 'Config File', cli: ['-c', '--config'], meta: 'CONFIG', kind: 'string',
    validate: v.optionalString, default: null, defaultDoc: './pre.config.{js,mjs,ts,mts} when present',
    short: 'The config file to load.',
    desc: 'A module (`.js`, `.mjs`, or TypeScript `.ts`/`.mts`) whose default export is the settings object, ideally built with `defineConfig({...})`. Without this option, `./pre.config.js`, `.mjs`, `.ts` or `.mts` in the current directory is loaded when it exists. TypeScript loads natively on Node versions that strip types, else through `tsx` when the project has it (see [configuration.md](configuration.md)).',
    cliOnly: true,
  }),
  print_config: setting({
    name: 'print_config', section: 'Config File', cli: ['--print-config'], kind: 'bool',
    validate: v.bool, default: false,
    short: 'Print the effective settings and exit.',
    desc: 'Prints every setting with the value that results from defaults, config file, `PRE_CMD_ARGS` and the command line, then exits 0.',
    cliOnly: true,
  }),
  check_config: setting({
    name: 'check_config', section: 'Config File', cli: ['--check-config'], kind: 'bool',
    validate: v.bool, default: false,
    short: 'Check the configuration and the app, then exit.',
    desc: 'Validates every setting, resolves the worker class, imports the app, and checks that the worker class can honour every setting and serve the app (its shape and `websocket` export). Exits 0 when all is well, or prints the error and exits non-zero (4 when the app cannot be loaded, 3 when the worker class refuses a setting or the app).',
    cliOnly: true,
  }),

  // --- App ---
  app: setting({
    name: 'app', section: 'App', meta: 'APP', kind: 'string',
    validate: v.optionalString, default: null, defaultDoc: 'none (required)',
    short: 'The app to serve: the positional APP argument.',
    desc: 'A file, a directory (its package\'s `exports`/`main`) or a package name, optionally followed by `:exportName` or `:factory()`. Without a name, the `default` export is used, then an export named `app`, then `handler`. Given on the command line as the positional argument; a config file may set it.',
  }),
  app_shape: setting({
    name: 'app_shape', section: 'App', cli: ['--app-shape'], meta: 'SHAPE', kind: 'string',
    validate: v.oneOf(APP_SHAPES), default: 'auto' as AppShapeSetting,
    short: 'Force the app shape: auto, node or fetch.',
    desc: '`node`: a request listener `(req, res)` (Express, Koa\'s `app.callback()`, `http.createServer`\'s handler). `fetch`: an object with `fetch(request)` (Hono) or a function `(request) => Response`. `auto` detects it: an object with a `fetch` method, or a function taking fewer than 2 parameters, is a fetch handler; a function taking 2 or more is a node listener.',
  }),
  chdir: setting({
    name: 'chdir', section: 'App', cli: ['--chdir'], meta: 'DIR', kind: 'string',
    validate: v.optionalString, default: null, defaultDoc: 'the current directory',
    short: 'Change to this directory before loading the app.',
    desc: 'The arbiter changes directory before it loads the app; workers start there too.',
  }),
  raw_env: setting({
    name: 'raw_env', section: 'App', cli: ['-e', '--env'], meta: 'KEY=VALUE', kind: 'list',
    validate: v.keyValueList, default: [],
    short: 'Set an environment variable in the workers (repeatable).',
    desc: 'Each `KEY=VALUE` is set in the environment of every worker process, e.g. `-e NODE_ENV=production`.',
  }),

  // --- Server Socket ---
  bind: setting({
    name: 'bind', section: 'Server Socket', cli: ['-b', '--bind'], meta: 'ADDRESS', kind: 'list',
    validate: v.stringList,
    default: (env) => (env.PORT ? [`0.0.0.0:${env.PORT}`] : ['127.0.0.1:8000']),
    defaultDoc: "['127.0.0.1:8000'], or ['0.0.0.0:$PORT'] when PORT is set",
    short: 'The socket to bind (repeatable).',
    desc: 'A `HOST:PORT` (`127.0.0.1:8000`, `0.0.0.0:80`, `:8000` for all interfaces), `[IPV6]:PORT`, `unix:PATH`, or `fd://N` for a socket inherited from the parent process. Repeat the flag to bind several. The arbiter binds each one once; workers accept on it.',
  }),
  backlog: setting({
    name: 'backlog', section: 'Server Socket', cli: ['--backlog'], meta: 'INT', kind: 'int',
    validate: v.int(1), default: 2048,
    short: 'The maximum number of pending connections.',
    desc: 'The listen(2) backlog of each bound socket: connections queue here while every worker is busy or being replaced.',
  }),

  // --- Security ---
  limit_request_line: setting({
    name: 'limit_request_line', section: 'Security', cli: ['--limit-request-line'], meta: 'INT', kind: 'int',
    validate: v.int(0, 65535), default: 4094,
    short: 'The maximum size of the request line, in bytes (0: unlimited).',
    desc: 'A request line (method, target and version) longer than this gets `414 URI Too Long` and the connection is closed. 0 means no limit of pre\'s own (node:http\'s overall header limit of `limit_request_field_size` × `limit_request_fields` still applies). Gunicorn\'s default, 4094.',
  }),
  limit_request_fields: setting({
    name: 'limit_request_fields', section: 'Security', cli: ['--limit-request-fields'], meta: 'INT', kind: 'int',
    validate: v.int(0, 32768), default: 100,
    short: 'The maximum number of request header fields (0: unlimited).',
    desc: 'A request with more header fields than this gets `431 Request Header Fields Too Large` and the connection is closed. 0 means no limit. Gunicorn\'s default, 100.',
  }),
  limit_request_field_size: setting({
    name: 'limit_request_field_size', section: 'Security', cli: ['--limit-request-field_size', '--limit-request-field-size'], meta: 'INT', kind: 'int',
    validate: v.int(0), default: 8190,
    short: 'The maximum size of one request header field, in bytes (0: unlimited).',
    desc: 'A header field (name, colon and value) longer than this gets `431 Request Header Fields Too Large` and the connection is closed. 0 means no limit. Gunicorn\'s default, 8190.',
  }),
  limit_request_body: setting({
    name: 'limit_request_body', section: 'Security', cli: ['--limit-request-body'], meta: 'BYTES', kind: 'int',
    validate: v.int(0), default: 0,
    short: 'The maximum size of a request body, in bytes (0: unlimited).',
    desc: 'A request whose `Content-Length` is over this gets `413` and `Connection: close` before the app runs (with `Expect: 100-continue`, instead of the `100 Continue`). A chunked body is counted as it arrives: when it crosses the limit the client gets `413` and the connection closes if the response has not started, else the connection is closed; the app never gets the bytes over the limit, and its body stream fails (`PRE_ERR_BODY_TOO_LARGE`). Refused requests appear in the access log and metrics. 0 means no limit, as in Gunicorn (which has no such setting): the right value depends on the app (about 1 MB for a JSON API, far more for uploads), so pre does not guess one. Set it wherever the app buffers bodies (see [security.md](security.md#request-bodies)). Same meaning as nginx\'s `client_max_body_size`. A worker class that does not declare the `limitRequestBody` capability refuses a value above 0.',
  }),

  headers_timeout: setting({
    name: 'headers_timeout', section: 'Security', cli: ['--headers-timeout'], meta: 'SECONDS', kind: 'number',
    validate: v.number(0), default: 10,
    short: 'Seconds a client gets to send a request\'s headers.',
    desc: 'A client that has not sent the complete request line and headers within this many seconds of its first byte gets `408 Request Timeout` and is disconnected: the defence against slowloris. Checked every second. 0 disables it (not recommended on the open internet).',
  }),
  request_timeout: setting({
    name: 'request_timeout', section: 'Security', cli: ['--request-timeout'], meta: 'SECONDS', kind: 'number',
    validate: v.number(0), default: 120,
    short: 'Seconds a client gets to send a whole request, body included.',
    desc: 'A client that stops sending in the middle of a body (or sends it too slowly) gets `408 Request Timeout` after this many seconds from the start of the request and is disconnected. Raise it for slow uploads. 0 disables it. Must not be below `headers_timeout` (pre raises it to `headers_timeout` if it is).',
  }),

  proxy_protocol: setting({
    name: 'proxy_protocol', section: 'Security', cli: ['--proxy-protocol'], kind: 'bool',
    validate: v.bool, default: false,
    short: 'Expect a PROXY protocol (v1 or v2) header from proxies in proxy_allow_ips.',
    desc: 'HAProxy\'s PROXY protocol, both the text (v1) and binary (v2) forms, detected per connection. Connections from `proxy_allow_ips` must start with the header (they are closed otherwise, with a debug log line); the app then sees the client\'s address as the peer address (`req.socket.remoteAddress`). Connections from other addresses are served as plain HTTP. With nginx: `proxy_protocol on;` in a `stream` server.',
  }),
  proxy_allow_ips: setting({
    name: 'proxy_allow_ips', section: 'Security', cli: ['--proxy-allow-from'], meta: 'IPS', kind: 'string',
    validate: v.ipList, default: '127.0.0.1,::1',
    short: 'Addresses allowed to send PROXY protocol headers (comma-separated; * for all).',
    desc: 'IP addresses and CIDR networks, comma-separated, e.g. `10.0.0.0/8,127.0.0.1`; `*` trusts every peer (only behind a firewall).',
  }),
  forwarded_allow_ips: setting({
    name: 'forwarded_allow_ips', section: 'Security', cli: ['--forwarded-allow-ips'], meta: 'IPS', kind: 'string',
    validate: v.ipList,
    default: (env) => v.ipList(env.FORWARDED_ALLOW_IPS ?? '127.0.0.1,::1'),
    defaultDoc: "'127.0.0.1,::1', or $FORWARDED_ALLOW_IPS",
    short: 'Proxies trusted to set the client address and scheme headers (comma-separated; * for all).',
    desc: 'When the direct peer is one of these (IPs or CIDR networks), pre believes its `forwarder_headers` (the client\'s address: the app sees it as `req.socket.remoteAddress`, and fetch apps in their context) and its `secure_scheme_headers` (the scheme: Node apps see `req.socket.encrypted === true`, so Express\'s `req.protocol` is `https`; fetch apps get an `https://` URL). From any other peer, those headers are removed from the request before the app sees it, so an app cannot be fooled by a client that sets them itself.',
  }),
  secure_scheme_headers: setting({
    name: 'secure_scheme_headers', section: 'Security', kind: 'string',
    validate: v.headerMap,
    default: { 'X-FORWARDED-PROTOCOL': 'ssl', 'X-FORWARDED-PROTO': 'https', 'X-FORWARDED-SSL': 'on' } as Record<string, string>,
    short: 'Headers (and values) a trusted proxy uses to say the request came over HTTPS.',
    desc: 'Config file only: an object of header name → value meaning "https", Gunicorn\'s default `{ \'X-FORWARDED-PROTOCOL\': \'ssl\', \'X-FORWARDED-PROTO\': \'https\', \'X-FORWARDED-SSL\': \'on\' }`. If a trusted request carries several of them and they disagree, it gets `400 Contradictory scheme headers`, as in Gunicorn.',
  }),
  forwarder_headers: setting({
    name: 'forwarder_headers', section: 'Security', cli: ['--forwarder-headers'], meta: 'HEADERS', kind: 'string',
    validate: v.headerNameList, default: 'X-FORWARDED-FOR',
    short: 'Headers a trusted proxy uses to name the client (comma-separated).',
    desc: 'The first of these present on a request from a trusted proxy names the client: the last address of its comma-separated list (the one the trusted proxy added). `X-FORWARDED-FOR` and `X-REAL-IP` are common. **Differs from Gunicorn,** where this setting lists WSGI environ headers such as `SCRIPT_NAME`, which Node apps have no use for.',
  }),

  // --- SSL ---
  certfile: setting({
    name: 'certfile', section: 'SSL', cli: ['--certfile'], meta: 'FILE', kind: 'string',
    validate: v.optionalString, default: null, defaultDoc: 'none (plain HTTP)',
    short: 'The TLS certificate (PEM); turns on HTTPS.',
    desc: 'With `keyfile`, every listener serves HTTPS. The chain may follow the certificate in the same file. The arbiter checks the pair at start and stops with a clear error if it cannot be used.',
  }),
  keyfile: setting({
    name: 'keyfile', section: 'SSL', cli: ['--keyfile'], meta: 'FILE', kind: 'string',
    validate: v.optionalString, default: null, defaultDoc: 'none',
    short: 'The TLS private key (PEM).',
    desc: 'The key of `certfile`.',
  }),
  ca_certs: setting({
    name: 'ca_certs', section: 'SSL', cli: ['--ca-certs'], meta: 'FILE', kind: 'string',
    validate: v.optionalString, default: null, defaultDoc: 'none',
    short: 'CA certificates (PEM) to verify client certificates with.',
    desc: 'Used with `cert_reqs` to accept client certificates signed by these CAs.',
  }),
  cert_reqs: setting({
    name: 'cert_reqs', section: 'SSL', cli: ['--cert-reqs'], meta: 'INT', kind: 'int',
    validate: v.int(0, 2), default: 0,
    short: 'Client certificates: 0 none, 1 optional, 2 required.',
    desc: 'Gunicorn\'s values: `0` does not ask for a client certificate; `1` asks and verifies one if given; `2` requires a valid one (the handshake fails otherwise). Apps see the peer certificate with `req.socket.getPeerCertificate()`.',
  }),
  ciphers: setting({
    name: 'ciphers', section: 'SSL', cli: ['--ciphers'], meta: 'CIPHERS', kind: 'string',
    validate: v.optionalString, default: null, defaultDoc: "Node's default cipher list",
    short: 'The TLS cipher list (OpenSSL format).',
    desc: 'For example `ECDHE+AESGCM:ECDHE+CHACHA20`. TLS 1.3 suites are not affected by this list.',
  }),
  tls_min_version: setting({
    name: 'tls_min_version', section: 'SSL', cli: ['--tls-min-version'], meta: 'VERSION', kind: 'string',
    validate: v.oneOf(['TLSv1.2', 'TLSv1.3'] as const), default: 'TLSv1.2' as 'TLSv1.2' | 'TLSv1.3',
    short: 'The oldest TLS version accepted: TLSv1.2 or TLSv1.3.',
    desc: 'Replaces Gunicorn\'s deprecated `ssl_version`.',
  }),
  ssl_context: setting({
    name: 'ssl_context', section: 'SSL', kind: 'hook',
    validate: (raw) => v.hook<(options: import('node:tls').TlsOptions) => import('node:tls').TlsOptions>(raw),
    default: null, defaultDoc: 'none',
    short: 'Hook: ssl_context(options) → options',
    desc: '`ssl_context(options)` — config file only. Called in each worker with the TLS options pre built from the settings above (Node\'s `tls.createServer` options: `cert`, `key`, `ca`, `requestCert`, `rejectUnauthorized`, `ciphers`, `minVersion`); return the options to use, for instance with `ALPNProtocols`, `SNICallback` or `ecdhCurve` added. Must be synchronous. Gunicorn\'s hook receives an `ssl.SSLContext` factory; in Node the options object is the equivalent.',
  }),

  // --- HTTP/2 (Gunicorn 26's names and defaults) ---
  http_protocols: setting({
    name: 'http_protocols', section: 'HTTP/2', cli: ['--http-protocols'], meta: 'LIST', kind: 'string',
    validate: httpProtocols, default: ['h1'] as readonly HttpProtocol[], defaultDoc: 'h1',
    short: 'The HTTP versions served: h1, h2, or both (comma-separated, in ALPN order).',
    desc: '`h1` is HTTP/1.1, `h2` HTTP/2. With TLS, the listeners offer these over ALPN in the order given (`h2,h1` serves both on one port); HTTP/2 without TLS also needs `http2_cleartext`. Only worker classes that declare the `http2` capability (`async`, `threads`) serve `h2`; `sync` and `uws` refuse it at start-up. **Beta, as in Gunicorn.** See [security](security.md#http2).',
  }),
  http2_cleartext: setting({
    name: 'http2_cleartext', section: 'HTTP/2', cli: ['--http2-cleartext'], meta: 'MODE', kind: 'string',
    validate: v.oneOf(['off', 'prior-knowledge', 'upgrade', 'both'] as const), default: 'off' as 'off' | 'prior-knowledge' | 'upgrade' | 'both',
    short: 'HTTP/2 without TLS (h2c): off, prior-knowledge, upgrade or both.',
    desc: 'With `h2` in `http_protocols` and no TLS. `prior-knowledge` serves a connection that starts with the HTTP/2 preface as HTTP/2 and any other as HTTP/1.1 (when `h1` is listed), on the same port. `upgrade` (needs `h1`) switches a connection whose first request asks for it (`Upgrade: h2c`, `Connection: Upgrade, HTTP2-Settings`, one valid `HTTP2-Settings`, no body) to HTTP/2: `101 Switching Protocols`, then that request\'s response on stream 1 and the client\'s next requests as HTTP/2 streams (RFC 7540 §3.2); any other request, including one with a body or a bad `HTTP2-Settings`, is served over HTTP/1.1 as if it had not asked, and WebSocket upgrades are unchanged. `upgrade` alone does not take prior knowledge; `both` takes either (as in Gunicorn 26, each way is turned on separately). Use h2c only behind a proxy you trust: see [security](security.md#http2).',
  }),
  http2_max_concurrent_streams: setting({
    name: 'http2_max_concurrent_streams', section: 'HTTP/2', cli: ['--http2-max-concurrent-streams'], meta: 'INT', kind: 'int',
    validate: v.int(1, 2 ** 31 - 1), default: 100,
    short: 'The most streams a client may have open on one HTTP/2 connection.',
    desc: 'Sent to clients in SETTINGS_MAX_CONCURRENT_STREAMS; a stream beyond it is refused (RST_STREAM REFUSED_STREAM), and a client that keeps opening refused streams loses its connection.',
  }),
  http2_initial_window_size: setting({
    name: 'http2_initial_window_size', section: 'HTTP/2', cli: ['--http2-initial-window-size'], meta: 'BYTES', kind: 'int',
    validate: v.int(0, 2 ** 31 - 1), default: 65535,
    short: 'The HTTP/2 flow-control window of each stream, in bytes.',
    desc: 'How many body bytes a client may send on a stream before the app reads them (SETTINGS_INITIAL_WINDOW_SIZE).',
  }),
  http2_max_frame_size: setting({
    name: 'http2_max_frame_size', section: 'HTTP/2', cli: ['--http2-max-frame-size'], meta: 'BYTES', kind: 'int',
    validate: v.int(16384, 16777215), default: 16384,
    short: 'The largest HTTP/2 frame payload accepted, in bytes.',
    desc: 'SETTINGS_MAX_FRAME_SIZE: between 16384 and 16777215 (RFC 9113).',
  }),
  http2_max_header_list_size: setting({
    name: 'http2_max_header_list_size', section: 'HTTP/2', cli: ['--http2-max-header-list-size'], meta: 'BYTES', kind: 'int',
    validate: v.int(0, 2 ** 32 - 1), default: 65536,
    short: 'The largest decoded header list of an HTTP/2 request, in bytes.',
    desc: 'SETTINGS_MAX_HEADER_LIST_SIZE (RFC 9113\'s size: each name and value plus 32). A request whose header list is larger is refused on its stream (`431`, or RST_STREAM from node:http2 once the client has acknowledged the setting), and the connection goes on; a header block that never ends (CONTINUATION frames) is cut off by nghttp2. `limit_request_fields` and `limit_request_field_size` apply per stream as on HTTP/1.1 (431). 0 leaves only those limits.',
  }),

  // --- Worker Processes ---
  workers: setting({
    name: 'workers', section: 'Worker Processes', cli: ['-w', '--workers'], meta: 'INT', kind: 'int',
    validate: v.int(1),
    default: (env) => (env.WEB_CONCURRENCY ? v.int(1)(env.WEB_CONCURRENCY) : 1),
    defaultDoc: '$WEB_CONCURRENCY, or 1',
    short: 'The number of worker processes.',
    desc: 'A good start is one or two per core. TTIN and TTOU change the number at run time. The `WEB_CONCURRENCY` environment variable sets the default, as on Heroku and in Gunicorn.',
  }),
  worker_class: setting({
    name: 'worker_class', section: 'Worker Processes', cli: ['-k', '--worker-class'], meta: 'CLASS', kind: 'string',
    validate: v.string, default: 'async',
    short: 'The worker class: async, sync, threads, uws, or a module.',
    desc: '`async` (`@pre/worker-async`), `sync` (`@pre/worker-sync`), `threads` (`@pre/worker-threads`) and `uws` (`@pre/worker-uws`) name the built-in classes; each is its own package, installed beside `@pre/core`. Anything else is a module specifier, optionally with `:ExportName`: `some-package`, `./workers/mine.js:MyWorker`.',
  }),
  threads: setting({
    name: 'threads', section: 'Worker Processes', cli: ['--threads'], meta: 'INT', kind: 'int',
    validate: v.int(1), default: 1,
    short: 'Threads per worker, for worker classes that run threads.',
    desc: 'Used by worker classes that run the app on several threads of one process (`threads`, `uws`); other classes refuse a value above 1 at start-up (see the worker classes\' capabilities in [writing a worker class](writing-a-worker.md#capabilities)).',
  }),
  worker_connections: setting({
    name: 'worker_connections', section: 'Worker Processes', cli: ['--worker-connections'], meta: 'INT', kind: 'int',
    validate: v.int(1), default: 1000,
    short: 'The maximum number of simultaneous connections per worker.',
    desc: 'Connections beyond this number are closed as soon as they are accepted.',
  }),
  max_requests: setting({
    name: 'max_requests', section: 'Worker Processes', cli: ['--max-requests'], meta: 'INT', kind: 'int',
    validate: v.int(0), default: 0,
    short: 'Restart a worker after this many requests (0: never).',
    desc: 'After serving this many requests, a worker stops gracefully and the arbiter starts a fresh one: a simple guard against memory leaks. 0 disables it.',
  }),
  max_requests_jitter: setting({
    name: 'max_requests_jitter', section: 'Worker Processes', cli: ['--max-requests-jitter'], meta: 'INT', kind: 'int',
    validate: v.int(0), default: 0,
    short: 'Add up to this many requests, at random, to max_requests.',
    desc: 'Each worker restarts after `max_requests + randint(0, max_requests_jitter)` requests, so that workers do not all restart at once.',
  }),
  timeout: setting({
    name: 'timeout', section: 'Worker Processes', cli: ['-t', '--timeout'], meta: 'SECONDS', kind: 'number',
    validate: v.number(0), default: 30,
    short: 'Kill a worker that is silent for this many seconds (0: never).',
    desc: 'Each worker\'s event loop touches a heartbeat file; a worker whose heartbeat is older than this gets SIGABRT, then SIGKILL, and is replaced. A handler stuck in a busy loop is caught this way. 0 disables the check.',
  }),
  graceful_timeout: setting({
    name: 'graceful_timeout', section: 'Worker Processes', cli: ['--graceful-timeout'], meta: 'SECONDS', kind: 'number',
    validate: v.number(0), default: 30,
    short: 'Time workers get to finish their requests on a graceful stop.',
    desc: 'After a graceful stop (TERM, HUP, max_requests, TTOU), workers still alive after this many seconds are killed.',
  }),
  keepalive: setting({
    name: 'keepalive', section: 'Worker Processes', cli: ['--keep-alive'], meta: 'SECONDS', kind: 'number',
    validate: v.number(0), default: 5,
    short: 'Seconds to wait for the next request on a keep-alive connection.',
    desc: 'Behind a load balancer, set it above the balancer\'s idle timeout. 0 closes the connection after each response. The default is Node\'s own (node:http, so PM2 and node:cluster too), not Gunicorn\'s 2: pre tells clients the timeout (`Keep-Alive: timeout=N`), and undici (Node\'s `fetch`) keeps a 2 s margin from it, so at 2 s or less every `fetch` to pre would open a new connection.',
  }),
  keepalive_rebalance: setting({
    name: 'keepalive_rebalance', section: 'Worker Processes', cli: ['--keepalive-rebalance'], meta: 'MODE', kind: 'string',
    validate: v.oneOf(KEEPALIVE_REBALANCE_MODES), default: 'auto' as KeepaliveRebalance,
    short: 'Move keep-alive connections off a worker that serves far more than its share: auto, on or off.',
    desc: 'A keep-alive connection stays on the worker that accepted it, so a few long-lived connections (behind a load balancer, or after TTIN) can keep one worker busy while another idles. When, over the last 2 s, the busiest of the current workers served more than its share plus 5 points of at least 200 requests and holds at least 2 open connections more than the least loaded one, the arbiter asks it to close a few of them gracefully: each gets `Connection: close` on its next response, and the client reconnects (the kernel hands the new connection to whichever worker accepts). `auto` does this where the worker class can (`async`, `threads`); `on` also refuses, at start-up, a class that cannot (`sync`, `uws`, a third-party class that does not declare `shedConnections`); `off` leaves connections where they land. See [architecture](architecture.md#balance-keep-alive-connections).',
  }),
  worker_tmp_dir: setting({
    name: 'worker_tmp_dir', section: 'Worker Processes', cli: ['--worker-tmp-dir'], meta: 'DIR', kind: 'string',
    validate: v.optionalString, default: null, defaultDoc: '/dev/shm when writable, else the system temporary directory',
    short: 'The directory of the workers\' heartbeat files.',
    desc: 'Each worker touches an unlinked file here as its heartbeat. A memory-backed directory (`/dev/shm`) keeps the heartbeat off the disk.',
  }),

  // --- Server Mechanics ---
  pidfile: setting({
    name: 'pidfile', section: 'Server Mechanics', cli: ['-p', '--pid'], meta: 'FILE', kind: 'string',
    validate: v.optionalString, default: null, defaultDoc: 'none',
    short: 'Write the arbiter\'s pid to this file.',
    desc: 'Written once the sockets are bound, removed when the arbiter exits. A pidfile that names a live process stops the start with an error.',
  }),

  daemon: setting({
    name: 'daemon', section: 'Server Mechanics', cli: ['-D', '--daemon'], kind: 'bool',
    validate: v.bool, default: false,
    short: 'Detach from the terminal and run in the background.',
    desc: 'The `pre` command starts the arbiter as a new session leader with stdin, stdout and stderr on `/dev/null`, and exits 0 once it runs; set `errorlog` (and `pidfile`) to files. While daemonized, WINCH stops the workers gracefully, as in Gunicorn.',
  }),
  user: setting({
    name: 'user', section: 'Server Mechanics', cli: ['-u', '--user'], meta: 'USER', kind: 'string',
    validate: v.optionalString, default: null, defaultDoc: 'the user pre runs as',
    short: 'Run the workers as this user (name or uid).',
    desc: 'The arbiter binds the sockets (which may need root, for ports below 1024), then every worker drops to this user before it loads the app. Needs pre to start as root.',
  }),
  group: setting({
    name: 'group', section: 'Server Mechanics', cli: ['-g', '--group'], meta: 'GROUP', kind: 'string',
    validate: v.optionalString, default: null, defaultDoc: "the user's primary group, or pre's group",
    short: 'Run the workers in this group (name or gid).',
    desc: 'Set before `user` in each worker.',
  }),
  initgroups: setting({
    name: 'initgroups', section: 'Server Mechanics', cli: ['--initgroups'], kind: 'bool',
    validate: v.bool, default: false,
    short: "Give the workers the user's supplementary groups.",
    desc: 'With `user`, the workers join every group the user belongs to (initgroups(3)); otherwise they have no supplementary groups.',
  }),
  umask: setting({
    name: 'umask', section: 'Server Mechanics', cli: ['-m', '--umask'], meta: 'INT', kind: 'int',
    validate: v.octalMode, default: 0, defaultDoc: '0',
    short: 'The umask of the arbiter and its workers (octal, e.g. 022).',
    desc: 'Set before the sockets are bound, so it also decides the mode of `unix:` socket files: `0o777 & ~umask` (with `--umask 007`, only the owner and group can connect). Gunicorn\'s default, 0.',
  }),

  // --- Logging ---
  accesslog: setting({
    name: 'accesslog', section: 'Logging', cli: ['--access-logfile'], meta: 'FILE', kind: 'string',
    validate: v.optionalString, default: null, defaultDoc: 'none (no access log)',
    short: 'The access log file; - for stdout.',
    desc: 'One line per request in `access_log_format`. USR1 reopens it (for logrotate).',
  }),
  access_log_format: setting({
    name: 'access_log_format', section: 'Logging', cli: ['--access-logformat'], meta: 'FORMAT', kind: 'string',
    validate: v.string, default: DEFAULT_ACCESS_LOG_FORMAT,
    short: 'The access log format (Gunicorn\'s atoms).',
    desc: [
      'Gunicorn\'s format and atoms:',
      '',
      '| atom | meaning |', '|---|---|',
      '| `h` | remote address |', '| `l` | `-` |', '| `u` | user name (Basic auth) |', '| `t` | date of the request |',
      '| `r` | status line (`GET /a?b=1 HTTP/1.1`) |', '| `m` | method |', '| `U` | URL path |', '| `q` | query string |',
      '| `H` | protocol |', '| `s` | status |', '| `B` | response length |', '| `b` | response length or `-` |',
      '| `f` | referer |', '| `a` | user agent |', '| `T` | request time, seconds |', '| `M` | request time, milliseconds |',
      '| `D` | request time, microseconds |', '| `L` | request time, decimal seconds |', '| `p` | process id |',
      '| `{header}i` | request header |', '| `{header}o` | response header |', '| `{NAME}e` | environment variable |',
      '',
      'Write each atom as `%(atom)s`, e.g. `%(h)s "%(r)s" %(s)s %(M)sms`.',
    ].join('\n'),
  }),
  errorlog: setting({
    name: 'errorlog', section: 'Logging', cli: ['--error-logfile', '--log-file'], meta: 'FILE', kind: 'string',
    validate: v.string, default: '-',
    short: 'The error log file; - for stderr.',
    desc: 'Lifecycle events and errors, in Gunicorn\'s format: `[2026-11-27 03:29:06 +0000] [pid] [LEVEL] message`. USR1 reopens it.',
  }),
  loglevel: setting({
    name: 'loglevel', section: 'Logging', cli: ['--log-level'], meta: 'LEVEL', kind: 'string',
    validate: v.logLevel, default: 'info' as LogLevel,
    short: 'The error log level: debug, info, warning, error, critical.',
    desc: 'Messages below this level are not written.',
  }),
  // Logs that machines read (issue 14): log_format, syslog, capture_output.
  log_format: setting({
    name: 'log_format', section: 'Logging', cli: ['--log-format'], meta: 'FORMAT', kind: 'string',
    validate: v.oneOf(LOG_FORMATS), default: 'text' as LogFormat,
    short: 'The format of the error and access logs: text or json.',
    desc: '`text`: Gunicorn\'s lines (the error log as in `errorlog`, the access log in `access_log_format`). `json`: one object per line with pino\'s field names, in both logs: `{"level":30,"time":1764213546123,"pid":12345,"hostname":"web-1","msg":"Booting worker with pid: 12346"}` (levels: debug 20, info 30, warning 40, error 50, critical 60; an exception adds `"err":{"type","message","stack"}`). Access lines carry pino-http\'s `req`, `res` and `responseTime` with Gunicorn\'s atoms beside them; see [operations.md](operations.md#logs) for every field. Not a Gunicorn setting.',
  }),
  syslog: setting({
    name: 'syslog', section: 'Logging', cli: ['--log-syslog'], kind: 'bool',
    validate: v.bool, default: false,
    short: 'Also send the error log to syslog (syslog_addr).',
    desc: 'Every error log line of the arbiter and the workers is also sent to `syslog_addr`, as Gunicorn does: `<PRI>pre.PREFIX.error: [pid] message` (RFC 3164 as Python\'s SysLogHandler sends it; with `log_format` json the JSON object follows the colon). The error log file is written as well.',
  }),
  syslog_addr: setting({
    name: 'syslog_addr', section: 'Logging', cli: ['--log-syslog-to'], meta: 'SYSLOG_ADDR', kind: 'string',
    validate: v.syslogAddress, default: () => defaultSyslogAddress(), defaultDoc: 'udp://localhost:514 (unix:///var/run/syslog on macOS, unix:///var/run/log on FreeBSD, unix:///dev/log on OpenBSD)',
    short: 'Where syslog lines go: udp://HOST:PORT, tcp://HOST:PORT or unix:///PATH.',
    desc: '`udp://HOST:PORT` (one datagram per line), `tcp://HOST:PORT` (one line each, newline-framed; reconnects after a loss), `unix:///PATH` (a datagram socket such as `/dev/log`; `unix:///PATH#stream` for a stream socket). The port defaults to 514; `[::1]:514` for IPv6. Gunicorn\'s defaults. A unix datagram socket is written through `logger(1)` from util-linux (one child process per pre process; pre refuses to start without it), which adds a timestamp to each message. A collector that is down or slow never blocks pre: lines beyond 1 MiB waiting are dropped.',
  }),
  syslog_prefix: setting({
    name: 'syslog_prefix', section: 'Logging', cli: ['--log-syslog-prefix'], meta: 'SYSLOG_PREFIX', kind: 'string',
    validate: v.optionalString, default: null, defaultDoc: 'the process name (`proc_name`)',
    short: 'The program name in syslog lines: pre.PREFIX.error.',
    desc: 'As Gunicorn\'s `gunicorn.PREFIX.error`; `:` becomes `.` and spaces `_`.',
  }),
  syslog_facility: setting({
    name: 'syslog_facility', section: 'Logging', cli: ['--log-syslog-facility'], meta: 'SYSLOG_FACILITY', kind: 'string',
    validate: v.syslogFacility, default: 'user',
    short: 'The syslog facility: user, daemon, local0 … local7, ….',
    desc: 'One of kern, user, mail, daemon, auth, security, syslog, lpr, news, uucp, cron, authpriv, ftp, local0 to local7 (Gunicorn\'s names). Gunicorn\'s default, `user`.',
  }),
  capture_output: setting({
    name: 'capture_output', section: 'Logging', cli: ['--capture-output'], kind: 'bool',
    validate: v.bool, default: false,
    short: 'Write the workers\' stdout and stderr (console.log) to the error log.',
    desc: 'What the app writes with `console.log` / `process.stdout` becomes INFO lines of the error log, and `console.error` / `process.stderr` ERROR lines, one per line of output, whatever `loglevel` is (JSON lines get `"stream":"stdout"` or `"stderr"`). Worker threads\' output is included. Without it, an app\'s output goes to the terminal, or nowhere under `daemon`. Gunicorn redirects the file descriptors instead; output written to fd 1 or 2 by native code is not captured here.',
  }),

  // --- Control ---
  control_socket: setting({
    name: 'control_socket', section: 'Control', cli: ['--control-socket'], meta: 'PATH', kind: 'string',
    validate: v.optionalString, default: null, defaultDoc: '$XDG_RUNTIME_DIR/pre.ctl, else ~/.pre/pre.ctl',
    short: 'The unix socket for `pre ctl` (Gunicorn\'s gunicornc, Puma\'s pumactl).',
    desc: 'On by default, as in Gunicorn 26 (`--no-control-socket` turns it off). When the default path is already held by another running pre, this one starts without a control socket and logs a warning naming the path: give each instance its own `--control-socket`. A path given explicitly that another process listens on is refused at start. The arbiter listens on this unix socket for `pre ctl` commands: `show workers`, `show stats`, `show config`, `show listeners`, `worker add [N]`, `worker remove [N]`, `worker kill PID`, `reload`, `reopen`, `shutdown [graceful|quick]`. See [operations.md](operations.md).',
  }),
  control_socket_mode: setting({
    name: 'control_socket_mode', section: 'Control', cli: ['--control-socket-mode'], meta: 'MODE', kind: 'int',
    validate: v.octalMode, default: 0o600, defaultDoc: '0600',
    short: 'The file mode of the control socket (octal).',
    desc: 'Anyone who can connect can stop the server: the default lets only the arbiter\'s user in.',
  }),
  reload: setting({
    name: 'reload', section: 'Control', cli: ['--reload'], kind: 'bool',
    validate: v.bool, default: false,
    short: 'Restart the workers when the app\'s files change (development).',
    desc: 'The arbiter watches the app\'s directory (without `node_modules` and dot-files) and `reload_extra_files`; on a change it reloads as on HUP: new workers start, and the old ones stop once the new ones serve. New code that fails to load is logged and the old workers keep serving.',
  }),
  reload_extra_files: setting({
    name: 'reload_extra_files', section: 'Control', cli: ['--reload-extra-file'], meta: 'GLOB', kind: 'list',
    validate: v.stringList, default: [],
    short: 'More files or glob patterns to watch with --reload (repeatable).',
    desc: 'Paths or glob patterns (`config/**/*.json`), relative to the working directory. Patterns are expanded again on every check, so files created later are watched too (as Gunicorn 26.1 does).',
  }),

  // --- Metrics ---
  statsd_host: setting({
    name: 'statsd_host', section: 'Metrics', cli: ['--statsd-host'], meta: 'HOST:PORT', kind: 'string',
    validate: v.optionalString, default: null, defaultDoc: 'none (no StatsD)',
    short: 'Send StatsD metrics to this UDP address.',
    desc: 'Metrics with Gunicorn\'s names, so dashboards built for Gunicorn work: `gunicorn.requests`, `gunicorn.request.duration`, `gunicorn.request.status.<code>`, `gunicorn.workers`, `gunicorn.log.critical`, `gunicorn.log.error`, `gunicorn.log.warning`, `gunicorn.log.exception`. See [operations.md](operations.md).',
  }),
  statsd_prefix: setting({
    name: 'statsd_prefix', section: 'Metrics', cli: ['--statsd-prefix'], meta: 'PREFIX', kind: 'string',
    validate: (raw) => (raw === null || raw === undefined ? '' : typeof raw === 'string' ? raw : v.string(raw)), default: '',
    short: 'A prefix for every StatsD metric name.',
    desc: 'Prepended with a dot: `--statsd-prefix app` sends `app.gunicorn.requests`.',
  }),
  dogstatsd_tags: setting({
    name: 'dogstatsd_tags', section: 'Metrics', cli: ['--dogstatsd-tags'], meta: 'TAGS', kind: 'string',
    validate: (raw) => (raw === null || raw === undefined ? '' : typeof raw === 'string' ? raw : v.string(raw)), default: '',
    short: 'DogStatsD tags added to every metric (comma-separated key:value).',
    desc: 'For example `env:prod,service:api`, sent as `|#env:prod,service:api`.',
  }),
  prometheus_bind: setting({
    name: 'prometheus_bind', section: 'Metrics', cli: ['--prometheus-bind'], meta: 'ADDRESS', kind: 'string',
    validate: v.optionalString, default: null, defaultDoc: 'none (no Prometheus endpoint)',
    short: 'Serve Prometheus metrics of all workers on this address (e.g. 127.0.0.1:9100).',
    desc: 'The arbiter serves `/metrics` here, aggregating every worker: requests by status, request latency histogram, requests in flight, worker count, worker restarts and heartbeat age. Its own port, never the app\'s.',
  }),

  // --- Operations: memory limit, readiness, default control socket (docs/operations.md, docs/deploying.md) ---
  max_worker_memory: setting({
    name: 'max_worker_memory', section: 'Worker Processes', cli: ['--max-worker-memory'], meta: 'MIB', kind: 'int',
    validate: v.int(0), default: 0,
    short: 'Replace a worker whose RSS grows past this many MiB (0: never).',
    desc: 'Each worker checks its resident set size (RSS) on every heartbeat tick (a quarter of `timeout`, at most every second). Over the limit, it is retired gracefully: it keeps serving until its replacement has booted, then finishes its requests in flight and exits, so no request fails. Logged with the figure (*Autorestarting worker once its replacement serves: max_worker_memory (612 MiB > 512 MiB)*) and counted (`pre_worker_memory_retirements_total`, StatsD `gunicorn.worker.memory_retirements`). A guard against leaks; set it below the container\'s memory limit divided by `workers`. 0 disables it.',
  }),
  health_bind: setting({
    name: 'health_bind', section: 'Metrics', cli: ['--health-bind'], meta: 'ADDRESS', kind: 'string',
    validate: v.optionalString, default: null, defaultDoc: 'none (the probes are served on prometheus_bind when it is set)',
    short: 'Serve readiness and liveness probes on this address (e.g. 0.0.0.0:8081).',
    desc: 'The arbiter answers `GET /ready` (200 once the first generation of workers has booted, 503 before and from the moment a TERM, INT or QUIT arrives, while requests drain) and `GET /live` (200 while the arbiter runs), without touching the app. With `prometheus_bind` set, both are also served there. See [deploying.md](deploying.md).',
  }),
  no_control_socket: setting({
    name: 'no_control_socket', section: 'Control', cli: ['--no-control-socket'], kind: 'bool',
    validate: v.bool, default: false,
    short: 'Do not open the control socket.',
    desc: 'Without it, the arbiter listens on `control_socket`, or on its default path (`$XDG_RUNTIME_DIR/pre.ctl`, else `~/.pre/pre.ctl`).',
  }),

  // --- Process Naming ---
  proc_name: setting({
    name: 'proc_name', section: 'Process Naming', cli: ['-n', '--name'], meta: 'STRING', kind: 'string',
    validate: v.optionalString, default: null, defaultDoc: 'the app\'s name',
    short: 'The name in process titles.',
    desc: 'Processes show as `pre: master [NAME]` and `pre: worker [NAME]` in `ps` and `top`.',
  }),

  // --- Server Hooks ---
  on_starting: hookSetting('on_starting', 'on_starting(arbiter)', 'In the arbiter, before the sockets are bound and the workers spawned.'),
  on_reload: hookSetting('on_reload', 'on_reload(arbiter)', 'In the arbiter, on HUP, after the configuration is re-read and before the new workers are spawned.'),
  when_ready: hookSetting('when_ready', 'when_ready(arbiter)', 'In the arbiter, once the sockets are bound, just before the first workers are spawned.'),
  pre_fork: hookSetting('pre_fork', 'pre_fork(arbiter, worker)', 'In the arbiter, just before a worker process is spawned (`worker.pid` is 0 then).'),
  post_fork: hookSetting('post_fork', 'post_fork(worker)', 'In the new worker process, first thing, before the app is loaded. **Differs from Gunicorn:** pre spawns workers instead of forking them, so this runs in the worker, with the worker\'s info only.'),
  post_worker_init: hookSetting('post_worker_init', 'post_worker_init(worker)', 'In the worker, after the app is loaded and before it starts accepting requests.'),
  worker_int: hookSetting('worker_int', 'worker_int(worker)', 'In the worker, when it gets INT or QUIT (fast stop).'),
  worker_abort: hookSetting('worker_abort', 'worker_abort(worker)', 'In the worker, when it gets SIGABRT after a heartbeat timeout. A worker whose event loop is blocked cannot run it; SIGKILL follows.'),
  pre_request: hookSetting('pre_request', 'pre_request(worker, request)', 'In the worker, before the app handles a request. `request` has `method`, `url`, `headers` and `remoteAddress`.'),
  post_request: hookSetting('post_request', 'post_request(worker, request, response)', 'In the worker, after a response was sent. `response` has `status`, `bytes` and `durationMs`.'),
  child_exit: hookSetting('child_exit', 'child_exit(arbiter, worker)', 'In the arbiter, after a worker process exited (`worker.exitCode`, `worker.signal`).'),
  worker_exit: hookSetting('worker_exit', 'worker_exit(worker)', 'In the worker, after it stopped serving and just before it exits. **Differs from Gunicorn,** whose `worker_exit` runs in the master.'),
  nworkers_changed: hookSetting('nworkers_changed', 'nworkers_changed(arbiter, newValue, oldValue)', 'In the arbiter, when the target worker count changes (start, TTIN, TTOU, HUP). `oldValue` is null at start.'),
  on_exit: hookSetting('on_exit', 'on_exit(arbiter)', 'In the arbiter, just before it exits.'),
};

export type SettingName = keyof typeof SETTINGS;
type ValueOf<S> = S extends SettingSpec<infer T> ? T : never;

/** The effective, validated settings. */
export type Settings = { readonly [K in SettingName]: ValueOf<(typeof SETTINGS)[K]> };

export const SETTING_LIST: readonly SettingSpec<unknown>[] = Object.values(SETTINGS) as SettingSpec<unknown>[];

export const SECTION_ORDER = [
  'Config File', 'App', 'Server Socket', 'Security', 'SSL', 'HTTP/2', 'Worker Processes', 'Server Mechanics', 'Control', 'Metrics', 'Logging', 'Process Naming', 'Server Hooks',
] as const;
