// The shared routes plus a WebSocket echo (pre's `websocket` export), for `--scenarios ws` on classes that
// serve WebSockets; classes that do not refuse an app with this export.
export { default } from './routes.js';

export const websocket = {
  message(ws, data, isBinary) {
    ws.send(data, isBinary);
  },
};
