// The bench scenarios: what the load generator sends, with how many connections.
// Every server runs the `core` ones; the others run on the servers that list them (lib/servers.js), or on
// every server when named with --scenarios.
export const SCENARIOS = [
  { id: 'hello', label: 'hello keep-alive', path: '/', connections: 64, core: true },
  { id: 'close', label: 'new connection per request', path: '/', connections: 64, connectionClose: true, core: true },
  { id: 'body64k', label: '64 KiB response', path: '/64k', connections: 32 },
  { id: 'post1m', label: '1 MiB POST', path: '/upload', connections: 8, method: 'POST', bodyBytes: 1 << 20 },
  { id: 'cpu5', label: '~5 ms CPU', path: '/cpu', connections: 16 },
  { id: 'async20', label: '20 ms async ×64', path: '/async', connections: 64 },
  { id: 'ws', label: 'WebSocket echo', path: '/', connections: 32, websocket: true },
];

/** The scenarios `server` runs: the core ones and its own, or exactly `named` (from --scenarios). */
export function scenariosFor(server, named = null) {
  if (named) return SCENARIOS.filter((s) => named.includes(s.id));
  return SCENARIOS.filter((s) => s.core || server.scenarios.includes(s.id));
}
