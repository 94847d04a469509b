// Where a local Fabric network lives and which ports it takes: one Raft orderer, two
// organisations with one peer each (and one chaincode server each), and a third organisation
// without a peer whose nodes submit through the first organisation's gateway: a dispute seats
// three organisations. Everything is
// outside the repository: the commands Fabric ships in a cache folder, each network in a
// folder of its own, so an operator's network and the test suite's never meet.
import os from 'node:os';
import path from 'node:path';

/** The Fabric release the commands are built from (its tag, and the commit the go command is given). */
export const FABRIC_RELEASE = {
  tag: 'v2.5.9',
  // Fabric 2.x's module path has no /v2, so the go command cannot take the tag; it takes
  // the tag's commit as a pseudo-version (the proxy here serves this one; see docs/decisions).
  pseudoVersion: 'v1.4.0-rc1.0.20240618194258-7c3876255bf0',
} as const;

export const FABRIC_COMMANDS = ['peer', 'orderer', 'configtxgen', 'cryptogen', 'osnadmin'] as const;

// Fabric channel names start with a letter ([a-z][a-z0-9.-]*).
export const CHANNEL = 'nineten';
export const CHAINCODE = 'nineten';

export interface OrgLayout {
  /** e.g. Org1MSP: the MSP id nodes of this organisation sign as. */
  mspId: string;
  /** e.g. org1: the short name used in folders and profiles. */
  name: string;
  domain: string;
  peerHost: string;
  peerPort: number;
  /** Where the peer listens for chaincode (unused by a chaincode server, kept off the defaults). */
  peerChaincodePort: number;
  peerOperationsPort: number;
  /** The organisation's chaincode server (chaincode as a service): the peer dials it. */
  chaincodePort: number;
}

/** An organisation of the channel without a peer: its clients use another organisation's gateway. */
export interface MemberLayout {
  mspId: string;
  name: string;
  domain: string;
  /** The peer whose gateway its nodes connect to. */
  gateway: OrgLayout;
}

export interface NetworkLayout {
  name: string;
  home: string;
  /** The built Fabric commands (shared by every network of this release). */
  binDir: string;
  dir: string;
  orderer: { host: string; domain: string; port: number; adminPort: number; operationsPort: number };
  orgs: [OrgLayout, OrgLayout];
  members: MemberLayout[];
}

/** The cache folder: FABRIC_HOME, else $XDG_CACHE_HOME/9ten/fabric, else ~/.cache/9ten/fabric. */
export function fabricHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FABRIC_HOME) return path.resolve(env.FABRIC_HOME);
  const cache = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cache, '9ten', 'fabric');
}

export function binDirOf(home: string): string {
  return path.join(home, FABRIC_RELEASE.tag, 'bin');
}

function org(n: 1 | 2, base: number): OrgLayout {
  const offset = n === 1 ? 10 : 20;
  return {
    mspId: `Org${n}MSP`,
    name: `org${n}`,
    domain: `org${n}.9ten.test`,
    peerHost: `peer0.org${n}.9ten.test`,
    peerPort: base + offset + 1,
    peerChaincodePort: base + offset + 2,
    peerOperationsPort: base + offset + 3,
    chaincodePort: base + offset + 4,
  };
}

/**
 * A network's layout. `name` picks its folder (networks/<name>); `basePort` its ports:
 * orderer base..base+2, org1's peer base+11.., org2's base+21...
 */
export function networkLayout(options: { name?: string; basePort?: number; home?: string } = {}): NetworkLayout {
  const name = options.name ?? 'local';
  if (!/^[a-z0-9][a-z0-9-]{0,31}$/.test(name)) throw new Error(`network name "${name}": use lowercase letters, digits and dashes`);
  const base = options.basePort ?? 27050;
  if (!Number.isInteger(base) || base < 1024 || base > 65000) throw new Error(`base port ${base}: must be an integer between 1024 and 65000`);
  const home = options.home ?? fabricHome();
  const orgs: [OrgLayout, OrgLayout] = [org(1, base), org(2, base)];
  return {
    name,
    home,
    binDir: binDirOf(home),
    dir: path.join(home, 'networks', name),
    orderer: { host: 'orderer.9ten.test', domain: '9ten.test', port: base, adminPort: base + 1, operationsPort: base + 2 },
    orgs,
    members: [{ mspId: 'Org3MSP', name: 'org3', domain: 'org3.9ten.test', gateway: orgs[0] }],
  };
}

/** Paths inside a network's folder. */
export const networkPaths = (layout: NetworkLayout) => {
  const crypto = path.join(layout.dir, 'crypto');
  const ordererOrg = path.join(crypto, 'ordererOrganizations', layout.orderer.domain);
  const peerOrg = (o: { domain: string }) => path.join(crypto, 'peerOrganizations', o.domain);
  return {
    crypto,
    config: path.join(layout.dir, 'config'),
    data: path.join(layout.dir, 'data'),
    logs: path.join(layout.dir, 'logs'),
    run: path.join(layout.dir, 'run'),
    profiles: path.join(layout.dir, 'profiles'),
    channelBlock: path.join(layout.dir, 'channel', `${CHANNEL}.block`),
    state: path.join(layout.dir, 'network.json'),
    ordererMsp: path.join(ordererOrg, 'orderers', layout.orderer.host, 'msp'),
    ordererTls: path.join(ordererOrg, 'orderers', layout.orderer.host, 'tls'),
    ordererAdminTls: path.join(ordererOrg, 'users', `Admin@${layout.orderer.domain}`, 'tls'),
    peerMsp: (o: OrgLayout) => path.join(peerOrg(o), 'peers', o.peerHost, 'msp'),
    peerTls: (o: OrgLayout) => path.join(peerOrg(o), 'peers', o.peerHost, 'tls'),
    adminMsp: (o: { domain: string; name: string }) => path.join(peerOrg(o), 'users', `Admin@${o.domain}`, 'msp'),
    userMsp: (o: { domain: string; name: string }) => path.join(peerOrg(o), 'users', `User1@${o.domain}`, 'msp'),
    userCert: (o: { domain: string; name: string }) => path.join(peerOrg(o), 'users', `User1@${o.domain}`, 'msp', 'signcerts', `User1@${o.domain}-cert.pem`),
    userKey: (o: { domain: string; name: string }) => path.join(peerOrg(o), 'users', `User1@${o.domain}`, 'msp', 'keystore', 'priv_sk'),
    profile: (o: { domain: string; name: string }) => path.join(layout.dir, 'profiles', `${o.name}.json`),
  };
};
