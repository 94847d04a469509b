// The files a local network is made from: cryptogen's and configtxgen's inputs, the peers'
// core.yaml (Fabric's sample with the chaincode-as-a-service builder), and the chaincode
// package (metadata.json of type ccaas and a connection.json the builder fills per peer).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { NetworkLayout } from './layout.js';

/** cryptogen's input: the orderer's organisation, a peer for each of `orgs`, none for `members`, one user each. */
export function cryptoConfigYaml(layout: NetworkLayout): string {
  const org = (o: { name: string; domain: string }, nodes: string) => `  - Name: ${o.name}
    Domain: ${o.domain}
    EnableNodeOUs: true
${nodes}
    Users:
      Count: 1`;
  const peer = `    Specs:
      - Hostname: peer0
        SANS: [127.0.0.1, localhost]`;
  const none = `    Template:
      Count: 0`;
  return `OrdererOrgs:
  - Name: Orderer
    Domain: ${layout.orderer.domain}
    EnableNodeOUs: true
    Specs:
      - Hostname: orderer
        SANS: [127.0.0.1, localhost]
PeerOrgs:
${[...layout.orgs.map((o) => org(o, peer)), ...layout.members.map((m) => org(m, none))].join('\n')}
`;
}

/**
 * The channel: one Raft orderer, the three organisations. A chaincode definition needs a
 * majority of the organisations (the two with peers approve it). A transaction needs one
 * organisation's peer: a
 * daily report carries its per-listener rows as transient data, which must reach only the
 * reporting organisation's peer, and Fabric applies one endorsement policy to every function
 * of a chaincode (docs/decisions/0304-fabric-endorsement-and-private-rows.md). The contracts check that
 * the caller's organisation owns the node it writes for.
 */
export function configtxYaml(layout: NetworkLayout, cryptoDir: string): string {
  const orgSection = (o: { mspId: string; domain: string; peerPort?: number }) => `  - &${o.mspId}
    Name: ${o.mspId}
    ID: ${o.mspId}
    MSPDir: ${cryptoDir}/peerOrganizations/${o.domain}/msp
    Policies:
      Readers: { Type: Signature, Rule: "OR('${o.mspId}.admin', '${o.mspId}.peer', '${o.mspId}.client')" }
      Writers: { Type: Signature, Rule: "OR('${o.mspId}.admin', '${o.mspId}.client')" }
      Admins: { Type: Signature, Rule: "OR('${o.mspId}.admin')" }
      Endorsement: { Type: Signature, Rule: "OR('${o.mspId}.peer')" }${
        o.peerPort
          ? `
    AnchorPeers:
      - Host: 127.0.0.1
        Port: ${o.peerPort}`
          : ''
      }`;
  const all = [...layout.orgs, ...layout.members];
  // Every group: its members read and write, a majority of its organisations' admins administer.
  const groupPolicies = `    Readers: { Type: ImplicitMeta, Rule: "ANY Readers" }
    Writers: { Type: ImplicitMeta, Rule: "ANY Writers" }
    Admins: { Type: ImplicitMeta, Rule: "MAJORITY Admins" }`;
  const ordererTls = `${cryptoDir}/ordererOrganizations/${layout.orderer.domain}/orderers/${layout.orderer.host}/tls/server.crt`;
  return `Organizations:
  - &OrdererOrg
    Name: OrdererOrg
    ID: OrdererMSP
    MSPDir: ${cryptoDir}/ordererOrganizations/${layout.orderer.domain}/msp
    Policies:
      Readers: { Type: Signature, Rule: "OR('OrdererMSP.member')" }
      Writers: { Type: Signature, Rule: "OR('OrdererMSP.member')" }
      Admins: { Type: Signature, Rule: "OR('OrdererMSP.admin')" }
    OrdererEndpoints:
      - 127.0.0.1:${layout.orderer.port}
${all.map(orgSection).join('\n')}

Capabilities:
  Channel: &ChannelCapabilities { V2_0: true }
  Orderer: &OrdererCapabilities { V2_0: true }
  Application: &ApplicationCapabilities { V2_5: true }

Application: &ApplicationDefaults
  Organizations:
  Policies:
${groupPolicies}
    LifecycleEndorsement: { Type: ImplicitMeta, Rule: "MAJORITY Endorsement" }
    Endorsement: { Type: ImplicitMeta, Rule: "ANY Endorsement" }
  Capabilities:
    <<: *ApplicationCapabilities

Orderer: &OrdererDefaults
  OrdererType: etcdraft
  BatchTimeout: 250ms
  BatchSize:
    MaxMessageCount: 100
    AbsoluteMaxBytes: 99 MB
    PreferredMaxBytes: 2 MB
  Organizations:
  Policies:
${groupPolicies}
    BlockValidation: { Type: ImplicitMeta, Rule: "ANY Writers" }

Channel: &ChannelDefaults
  Policies:
${groupPolicies}
  Capabilities:
    <<: *ChannelCapabilities

Profiles:
  NinetenChannel:
    <<: *ChannelDefaults
    Orderer:
      <<: *OrdererDefaults
      Organizations: [*OrdererOrg]
      Capabilities: *OrdererCapabilities
      EtcdRaft:
        Consenters:
          - Host: 127.0.0.1
            Port: ${layout.orderer.port}
            ClientTLSCert: ${ordererTls}
            ServerTLSCert: ${ordererTls}
        Options:
          TickInterval: 500ms
          ElectionTick: 10
          HeartbeatTick: 1
          MaxInflightBlocks: 5
          SnapshotIntervalSize: 16 MB
    Application:
      <<: *ApplicationDefaults
      Organizations: [${all.map((o) => `*${o.mspId}`).join(', ')}]
      Capabilities: *ApplicationCapabilities
`;
}

/** Fabric's sample core.yaml with the external builder pointed at ours. */
export function coreYaml(sampleCoreYaml: string, builderDir: string): string {
  const from = 'path: /opt/hyperledger/ccaas_builder';
  if (!sampleCoreYaml.includes(from)) throw new Error(`core.yaml: Fabric's sample no longer names the ccaas builder as "${from}"; update scripts/fabric/config-files.ts`);
  return sampleCoreYaml.replace(from, `path: ${builderDir}`);
}

export const PACKAGE_TYPE = 'ccaas';

/**
 * The chaincode-as-a-service package: metadata.json and code.tar.gz holding connection.json,
 * whose address the builder fills from each peer's CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG
 * (every organisation runs its own chaincode server). Returns the package's path.
 */
export function writeChaincodePackage(outDir: string, label: string): string {
  const work = mkdtempSync(path.join(os.tmpdir(), '9ten-ccpkg-'));
  try {
    writeFileSync(path.join(work, 'connection.json'), JSON.stringify({ address: '{{.address}}', dial_timeout: '10s', tls_required: false }, null, 2));
    writeFileSync(path.join(work, 'metadata.json'), JSON.stringify({ type: PACKAGE_TYPE, label }, null, 2));
    // Fixed owner and mtime: the same label gives the same bytes, hence the same package id.
    const tarOpts = ['--owner=0', '--group=0', '--numeric-owner', '--mtime=2020-01-01 00:00:00Z', '--sort=name', '--use-compress-program=gzip -n'];
    execFileSync('tar', [...tarOpts, '-cf', 'code.tar.gz', 'connection.json'], { cwd: work });
    mkdirSync(outDir, { recursive: true });
    const out = path.join(outDir, `${label}.tar.gz`);
    execFileSync('tar', [...tarOpts, '-cf', out, 'metadata.json', 'code.tar.gz'], { cwd: work });
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
