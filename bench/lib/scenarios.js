// The bench scenarios: what the load generator sends, with how many connections.
export const SCENARIOS = [
  { id: 'hello', label: 'hello keep-alive', path: '/', connections: 64 },
  { id: 'close', label: 'conn per request', path: '/', connections: 16, connectionClose: true },
  { id: 'async20', label: '20 ms async ×64', path: '/async', connections: 64 },
  { id: 'cpu5', label: '~5 ms CPU', path: '/cpu', connections: 16 },
  { id: 'body64k', label: '64 KiB response', path: '/64k', connections: 32 },
  { id: 'post1m', label: '1 MiB POST', path: '/upload', connections: 8, method: 'POST', bodyBytes: 1 << 20 },
  { id: 'ws', label: 'WebSocket echo', path: '/', connections: 32, websocket: true },
];

/** The scenarios of `--quick`: one of each kind that finishes fast. */
export const QUICK_SCENARIOS = ['hello', 'close', 'async20', 'cpu5', 'body64k', 'post1m'];
