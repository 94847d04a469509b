// `npm run nginx-site -- [--listen 80] [--server-name example.org] [--access-log /var/log/nginx/9ten-segments.log]`:
// prints the nginx site for this node (config from config/default.json, NINETEN_CONFIG and the
// environment), to put in /etc/nginx/sites-enabled/. See docs/media.md, "Behind nginx".
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../server/config/index.js';
import { nginxSite } from '../server/media/nginx-site.js';

const { values } = parseArgs({
  options: {
    listen: { type: 'string', default: '80' },
    'server-name': { type: 'string' },
    'access-log': { type: 'string' },
  },
});

try {
  const config = loadConfig();
  const accessLog = values['access-log'] ?? config.media.frontAccessLog ?? '/var/log/nginx/9ten-segments.log';
  if (!path.isAbsolute(accessLog)) throw new Error(`--access-log must be an absolute path, not ${accessLog}`);
  process.stdout.write(
    nginxSite({
      listen: values.listen!,
      serverName: values['server-name'] ?? new URL(config.publicUrl).hostname,
      nodeOrigin: `http://${config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host}:${config.port}`,
      mediaRoot: path.resolve(config.dataDir, 'media'),
      accessLog,
      maxBodyBytes: Math.max(config.uploads.chunkBytes, config.uploads.maxBodyBytes) + 65_536,
    }),
  );
} catch (err) {
  console.error(`nginx-site: ${(err as Error).message}`);
  process.exit(1);
}
