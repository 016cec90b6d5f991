// A chat room: a fetch app with WebSocket handlers, served the same way by `--worker-class async`
// and `--worker-class uws`. Open http://127.0.0.1:8000/ in two browser tabs.
//
//   pre --worker-class uws --bind 127.0.0.1:8000 apps/chat
//
// Rooms live in memory, per worker process (and per thread with --threads): run one worker, or put
// a pub/sub service between workers.

const page = `<!doctype html>
<meta charset="utf-8"><title>pre chat</title>
<ul id="log"></ul>
<form id="form"><input id="text" autocomplete="off" autofocus><button>Send</button></form>
<script>
  const name = prompt('Your name?') || 'anonymous';
  const ws = new WebSocket(\`ws://\${location.host}/chat?name=\${encodeURIComponent(name)}\`);
  const show = (text) => { const li = document.createElement('li'); li.textContent = text; log.append(li); };
  ws.onmessage = (event) => { const m = JSON.parse(event.data); show(m.from ? \`\${m.from}: \${m.text}\` : m.text); };
  ws.onclose = (event) => show(\`disconnected (\${event.code})\`);
  form.onsubmit = (event) => { event.preventDefault(); ws.send(text.value); text.value = ''; };
</script>`;

/** Everyone connected to this worker. */
const members = new Set();

function broadcast(message) {
  const text = JSON.stringify(message);
  for (const member of members) member.send(text);
}

export default {
  fetch(request) {
    const { pathname } = new URL(request.url);
    if (pathname === '/') return new Response(page, { headers: { 'content-type': 'text/html; charset=utf-8' } });
    if (pathname === '/members') return Response.json({ count: members.size });
    return new Response('Not Found', { status: 404 });
  },

  websocket: {
    maxPayloadLength: 16 * 1024,
    idleTimeout: 60,
    /** Only /chat upgrades; the name comes from the query string. */
    upgrade(request) {
      const url = new URL(request.url, 'http://localhost');
      if (url.pathname !== '/chat') return false;
      return { name: (url.searchParams.get('name') || 'anonymous').slice(0, 32) };
    },
    open(ws) {
      members.add(ws);
      broadcast({ text: `${ws.data.name} joined (${members.size} here)` });
    },
    message(ws, message, isBinary) {
      if (isBinary) return; // text only
      broadcast({ from: ws.data.name, text: String(message).slice(0, 1000) });
    },
    close(ws) {
      members.delete(ws);
      broadcast({ text: `${ws.data.name} left` });
    },
  },
};
