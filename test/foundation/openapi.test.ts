// The OpenAPI description and the routes the app really has must agree, and every
// route must start with an access check (role, signed-in user, or explicitly public).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { buildApp } from '../../server/app.js';
import { capabilities } from '../../server/capabilities.js';

interface Layer {
  route?: { path: string | RegExp; methods: Record<string, boolean>; stack: { handle: { accessCheck?: string } }[] };
  name: string;
  handle: { stack?: Layer[] };
}

function listRoutes(stack: Layer[]): { method: string; path: string; check?: string }[] {
  const out: { method: string; path: string; check?: string }[] = [];
  for (const layer of stack) {
    if (layer.route && typeof layer.route.path === 'string') {
      for (const m of Object.keys(layer.route.methods)) {
        out.push({ method: m, path: layer.route.path, check: layer.route.stack[0]?.handle.accessCheck });
      }
    } else if (layer.name === 'router' && layer.handle.stack) {
      out.push(...listRoutes(layer.handle.stack));
    }
  }
  return out;
}

const toOpenApiPath = (p: string) => p.replace(/:(\w+)(\([^)]*\))?/g, '{$1}');

let node: TestNode;
before(async () => {
  node = await startTestNode({ name: 'openapi' });
});
after(async () => {
  await node?.stop();
});

test('served description is OpenAPI 3.1 and lists every route, and only those', async () => {
  const res = await node.api('GET', '/api/openapi.json');
  assert.equal(res.status, 200);
  const doc = res.body;
  assert.equal(doc.openapi, '3.1.0');
  const described = new Set<string>();
  for (const [p, item] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
    for (const m of Object.keys(item)) if (['get', 'post', 'put', 'patch', 'delete', 'head'].includes(m)) described.add(`${m} ${p}`);
  }
  const app = buildApp(node.ctx, capabilities) as unknown as { _router: { stack: Layer[] } };
  const routes = listRoutes(app._router.stack).filter((r) => r.path.startsWith('/api/') || r.path === '/healthz' || r.path === '/metrics');
  const actual = new Set(routes.map((r) => `${r.method} ${toOpenApiPath(r.path)}`));
  const undocumented = [...actual].filter((r) => !described.has(r));
  const phantom = [...described].filter((r) => !actual.has(r));
  assert.deepEqual(undocumented, [], 'routes missing from the OpenAPI description');
  assert.deepEqual(phantom, [], 'described routes the app does not have');
  assert.ok(actual.size >= 8);
});

test('every route starts with an access check', async () => {
  const app = buildApp(node.ctx, capabilities) as unknown as { _router: { stack: Layer[] } };
  const unchecked = listRoutes(app._router.stack).filter((r) => !r.check && !r.path.startsWith('/assets'));
  assert.deepEqual(unchecked.map((r) => `${r.method} ${r.path}`), []);
});
