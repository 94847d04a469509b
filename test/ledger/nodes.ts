// Test nodes whose ledger capability points at a given ledger database and contracts.
import { capabilities } from '../../server/capabilities.js';
import { createLedgerCapability, type LedgerCapabilityOptions } from '../../server/ledger/index.js';
import { startTestNode, type TestNode, type TestNodeOptions } from '../helpers/node.js';

export function ledgerCapabilities(options: LedgerCapabilityOptions) {
  return capabilities.map((c) => (c.name === 'ledger' ? createLedgerCapability(options) : c));
}

/** A node whose ledger is the shared `ledgerDatabaseUrl` (as the nodes of one Fabric channel share a ledger). */
export function startLedgerNode(ledger: LedgerCapabilityOptions, options: TestNodeOptions = {}): Promise<TestNode> {
  return startTestNode({ ...options, capabilities: ledgerCapabilities(ledger) });
}
