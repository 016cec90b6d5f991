// pre app: a WebSocket echo through pre's API (the same on async and uws).
export default {
  fetch: () => new Response('ok'),
  websocket: { message: (ws, message, isBinary) => void ws.send(message, isBinary) },
};
