// Debian's nginx for tests and benches: one master with one worker on a loopback port,
// everything it writes (pid, error log, temp files) in its own temporary folder.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../server/db/embedded.js';

export const nginxPath = process.env.NGINX_PATH ?? '/usr/sbin/nginx';

/** The reason nginx tests are skipped, or false when nginx is there (CI installs it, so CI never skips). */
export const skipWithoutNginx: string | false =
  existsSync(nginxPath) ? false : process.env.CI ? false : `no nginx at ${nginxPath}: install Debian's nginx (apt-get install nginx; CI does) or set NGINX_PATH`;

export interface RunningNginx {
  port: number;
  origin: string;
  dir: string;
  /** Asks nginx to reopen its log files (what logrotate does after moving them). */
  reopenLogs(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts nginx with `site(port)` inside its http block; resolves once it answers. */
export async function startNginx(site: (port: number) => string): Promise<RunningNginx> {
  const dir = mkdtempSync(path.join(os.tmpdir(), '9ten-nginx-'));
  const port = await freePort();
  // Workers run as root only when we are root: the media folders are ours, mode 0700.
  const asRoot = process.getuid?.() === 0;
  const conf = path.join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `${asRoot ? 'user root;\n' : ''}worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${site(port)}
}
`,
  );
  const check = spawnSync(nginxPath, ['-t', '-q', '-c', conf, '-p', dir], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`nginx refuses the configuration: ${check.stderr}`);
  const child: ChildProcess = spawn(nginxPath, ['-c', conf, '-p', dir], { stdio: 'ignore' });
  const exited = new Promise((r) => child.once('exit', r));
  const until = Date.now() + 5000;
  for (;;) {
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      break;
    } catch {
      if (Date.now() > until || child.exitCode !== null) throw new Error('nginx did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    dir,
    async reopenLogs() {
      child.kill('SIGUSR1');
      // The master reopens and signals its worker; give them a moment.
      await new Promise((r) => setTimeout(r, 300));
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
