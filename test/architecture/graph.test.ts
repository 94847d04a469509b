// docs/architecture.md shows the capability graph as the code has it, and the graph of calls
// between capabilities has no cycle (a cycle is broken with a port that node.ts wires).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { architecturePage, capabilityGraph, findCycle, pageWith, renderGraph } from '../../scripts/architecture-graph.js';

test('docs/architecture.md shows the capability graph the code has', () => {
  const page = readFileSync(architecturePage, 'utf8');
  const expected = pageWith(page, renderGraph(capabilityGraph()));
  assert.equal(page, expected, 'the capability graph changed: run `npm run architecture` and read the difference');
});

test('the calls between capabilities have no cycle', () => {
  const g = capabilityGraph();
  assert.deepEqual(g.capabilities, ['accounts', 'ledger', 'money', 'media', 'listening', 'federation', 'disputes', 'live', 'apps', 'feeds', 'moderation', 'notifications']);
  assert.equal(findCycle(g), null);
});

test('a call that closes a cycle is found', () => {
  const g = capabilityGraph();
  g.calls.get('accounts')!.add('disputes');
  assert.ok(g.calls.get('disputes')!.size > 0, 'disputes calls others');
  const cycle = findCycle(g);
  assert.ok(cycle && cycle[0] === cycle[cycle.length - 1] && cycle.includes('accounts') && cycle.includes('disputes'), `found ${cycle?.join(' → ')}`);
});
