import { it, expect } from 'vitest';
import { toWebRequest } from '/work/main/packages/core/src/app/fetch-adapter.js';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
it('x', () => {
  const req = new IncomingMessage(new Socket()); req.method='GET'; req.url='/'; req.rawHeaders=['Host','a'];
  const res = new ServerResponse(req);
  const r = toWebRequest(req, res);
  const c = r.clone(); const cc = c.clone();
  console.log(r.constructor.name, Object.getPrototypeOf(r) === Request.prototype, c.constructor.name, Object.getOwnPropertySymbols(r).map(String));
  res.emit('close');
  console.log(r.signal.aborted, c.signal.aborted, cc.signal.aborted);
});
