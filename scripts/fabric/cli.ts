// `npm run fabric -- up|down|status|upgrade [--name N] [--base-port P] [--fresh] [--purge]`:
// a local Fabric network for operators and the test suite (scripts/fabric/network.ts).
import { parseArgs } from 'node:util';
import { projectRoot } from '../../server/config/index.js';
import { FabricPrerequisiteError } from './commands.js';
import { networkLayout } from './layout.js';
import { FabricNetwork } from './network.js';

const usage = `usage: npm run fabric -- <up|down|status|upgrade> [options]
  up        build Fabric's commands on first use, start the network (or restart a stopped one)
  down      stop the network's processes (--purge also deletes its keys and ledgers)
  status    what runs, each peer's channel height, the committed chaincode (exit 1 when not running; --json)
  upgrade   install the chaincode as built now and commit it with the next sequence
options: --name <network> (default local)  --base-port <port> (default 27050)  --fresh  --purge`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    name: { type: 'string' },
    'base-port': { type: 'string' },
    fresh: { type: 'boolean', default: false },
    purge: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
const command = positionals[0];
if (values.help || !command || !['up', 'down', 'status', 'upgrade'].includes(command)) {
  console.log(usage);
  process.exit(values.help ? 0 : 2);
}
const basePort = values['base-port'] !== undefined ? Number(values['base-port']) : undefined;
const network = new FabricNetwork(networkLayout({ name: values.name, basePort }));
const log = (line: string) => console.log(`[fabric] ${line}`);

try {
  if (command === 'up') await network.up({ projectRoot, fresh: values.fresh, log });
  else if (command === 'upgrade') await network.upgrade({ projectRoot, log });
  else if (command === 'down') {
    const stopped = await network.down({ purge: values.purge });
    log(`stopped ${stopped.length ? stopped.join(', ') : 'nothing (not running)'}${values.purge ? `; deleted ${network.layout.dir}` : ''}`);
  } else {
    const status = await network.status();
    if (values.json) console.log(JSON.stringify(status, null, 2));
    else {
      const running = status.processes.filter((p) => p.alive).length;
      console.log(`network ${status.network} (${status.dir}): ${status.state ? `Fabric ${status.state.release}, channel ${status.state.channel}, chaincode ${status.state.chaincode} sequence ${status.state.sequence} (${status.state.packageLabel})` : 'not created'}`);
      console.log(`processes: ${running} of ${status.processes.length} running${status.processes.length ? ` (${status.processes.map((p) => `${p.name}${p.alive ? '' : ' stopped'}`).join(', ')})` : ''}`);
      for (const [peer, height] of Object.entries(status.heights)) console.log(`${peer}: channel height ${height}`);
      for (const [msp, file] of Object.entries(status.state?.profiles ?? {})) console.log(`${msp}: NINETEN_CONFIG=${file}`);
    }
    process.exit(status.state && status.processes.length > 0 && status.processes.every((p) => p.alive) ? 0 : 1);
  }
} catch (err) {
  if (err instanceof FabricPrerequisiteError) {
    console.error(`[fabric] ${err.message}`);
    process.exit(3);
  }
  console.error(`[fabric] ${command} failed: ${(err as Error).message}`);
  process.exit(1);
}
