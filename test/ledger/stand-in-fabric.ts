// A fabric network for the ledger tests: a fresh database, an embedded ledger running the given
// contracts, and the STAND-IN PEER of test/ledger/stand-in-peer.ts in front of it (no Fabric peer
// can run here), with the fabric engine's configuration for a client of Org1MSP using the
// fixture crypto.
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { createDatabase, fixtureDir } from './helpers.js';
import { startStandInPeer, type StandInPeer } from './stand-in-peer.js';
import { EmbeddedLedger, ledgerPool } from '../../server/ledger/embedded.js';
import { loadContracts } from '../../server/ledger/contracts.js';
import type { FabricLedger } from '../../server/ledger/fabric.js';

export type FabricConfig = ConstructorParameters<typeof FabricLedger>[0];

/** A file of the fixture crypto (test/ledger/fixtures/crypto). */
export const fixtureCrypto = (f: string) => path.join(fixtureDir, 'crypto', f);

export interface StandInFabric {
  db: Awaited<ReturnType<typeof createDatabase>>;
  /** The embedded ledger the peer executes and commits through. */
  peerLedger: EmbeddedLedger;
  peer: StandInPeer;
  /** The fabric engine's configuration for this peer (client of Org1MSP, channel and chaincode `9ten`). */
  fabricConfig: FabricConfig;
  /** Stops the peer, closes its ledger and drops the database. */
  stop(): Promise<void>;
}

export interface StandInFabricOptions {
  /** Path of the contracts module the peer runs. */
  contracts: string;
  /** Prefix of the database name. */
  dbPrefix: string;
  /** Serve TLS with the fixture certificate (default); plain gRPC when false. */
  tls?: boolean;
}

export async function startStandInFabric({ contracts, dbPrefix, tls = true }: StandInFabricOptions): Promise<StandInFabric> {
  const db = await createDatabase(dbPrefix);
  let peerLedger: EmbeddedLedger | undefined;
  try {
    const pool = ledgerPool(db.url);
    await EmbeddedLedger.ensureSchema(pool);
    peerLedger = new EmbeddedLedger({ pool, contracts: loadContracts(contracts), identity: { mspId: 'Org1MSP', nodeId: 'peer0.org1.test' } });
    const peer = await startStandInPeer({
      ledger: peerLedger,
      msps: { Org1MSP: readFileSync(fixtureCrypto('ca.pem')) },
      ...(tls ? { tls: { cert: readFileSync(fixtureCrypto('tls.pem')), key: readFileSync(fixtureCrypto('tls.key')) } } : {}),
    });
    const fabricConfig: FabricConfig = {
      endpoint: peer.endpoint,
      tlsRootCertPath: tls ? fixtureCrypto('ca.pem') : null,
      hostAlias: 'peer0.org1.test',
      mspId: 'Org1MSP',
      certPath: fixtureCrypto('client.pem'),
      keyPath: fixtureCrypto('client.key'),
      channel: '9ten',
      chaincode: '9ten',
    };
    const ledger = peerLedger;
    return {
      db,
      peerLedger: ledger,
      peer,
      fabricConfig,
      async stop() {
        await peer.stop();
        await ledger.close();
        await db.drop();
      },
    };
  } catch (e) {
    await peerLedger?.close();
    await db.drop();
    throw e;
  }
}
