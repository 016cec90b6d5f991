import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitFor } from './pre.js';

export { freePort };

const NGINX = '/usr/sbin/nginx';
const STREAM_MODULE = '/usr/lib/nginx/modules/ngx_stream_module.so';

/** Debian's nginx with its stream module; .ci/run installs them (apt-get install nginx-light libnginx-mod-stream). */
export const nginxAvailable = existsSync(NGINX) && existsSync(STREAM_MODULE) && spawnSync(NGINX, ['-v']).status === 0;


export interface Nginx {
  httpPort: number;
  streamPort: number;
  stop(): Promise<void>;
}

/**
 * nginx in front of `upstreamPort` on loopback: an HTTP proxy that sets X-Forwarded-For/Proto, and a
 * TCP (stream) proxy that sends the PROXY protocol header. Single process, its own temp directory.
 */
export async function startNginx(upstreamPort: number): Promise<Nginx> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pre-nginx-'));
  const [httpPort, streamPort] = [await freePort(), await freePort()];
  writeFileSync(path.join(dir, 'nginx.conf'), `
load_module ${STREAM_MODULE};
daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${httpPort};
    location / {
      proxy_pass http://127.0.0.1:${upstreamPort};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto https;
    }
  }
}
stream {
  server {
    listen 127.0.0.1:${streamPort};
    proxy_pass 127.0.0.1:${upstreamPort};
    proxy_protocol on;
  }
}
`);
  const child: ChildProcess = spawn(NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${readFileSync(path.join(dir, 'error.log'), 'utf8')}`);
    return new Promise<boolean>((resolve) => {
      const s = net.connect(httpPort, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
  }, 'nginx to listen');
  return {
    httpPort,
    streamPort,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
