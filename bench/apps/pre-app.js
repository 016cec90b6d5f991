// What `pre` serves in the bench and the chaos suite: the shared routes as a node request listener.
export { default } from './routes.js';

/** WebSocket echo (pre's `websocket` export; a pre without WebSocket support ignores it). */
export const websocket = {
  message(ws, data, isBinary) {
    ws.send(data, isBinary);
  },
};
