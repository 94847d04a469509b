// Vite build of the web client: `npm run build:client` writes client/dist, which the node serves at /.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  // client/public: the web app manifest and its icons, copied to the root of client/dist.
  publicDir: 'public',
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 1024,
  },
  server: {
    // `npx vite --config client/vite.config.ts` during development: API calls go to a running node.
    proxy: Object.fromEntries(
      ['/api', '/static', '/.well-known'].map((p) => [p, { target: process.env.NINETEN_URL ?? 'http://127.0.0.1:9010', changeOrigin: false }]),
    ),
  },
});
