// A local Fabric network for operators and the test suite: `up` builds Fabric's commands on
// first use, makes the organisations' keys, starts one Raft orderer and a peer per
// organisation (TLS everywhere), creates the channel without a system channel, installs the
// 9ten chaincode as a service (each organisation runs its own chaincode server) with its
// private data collections, and writes a profile per organisation that a node reads
// (NINETEN_CONFIG=<profile> npm start). `down` stops it, `status` tells what runs.
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { FabricLedger } from '../../server/ledger/fabric.js';
import { ensureFabricCommands } from './commands.js';
import { configtxYaml, coreYaml, cryptoConfigYaml, writeChaincodePackage } from './config-files.js';
import { CHAINCODE, CHANNEL, FABRIC_RELEASE, networkPaths, type MemberLayout, type NetworkLayout, type OrgLayout } from './layout.js';
import { isAlive, listProcesses, logTail, sleep, startProcess, stopProcesses, waitForPort, type ProcessSpec } from './processes.js';

const execFileAsync = promisify(execFile);

export interface NetworkState {
  release: string;
  channel: string;
  chaincode: string;
  /** The installed chaincode package: its label, id (label:sha256) and lifecycle sequence. */
  packageLabel: string;
  packageId: string;
  sequence: number;
  createdAt: string;
  /** Seconds the Fabric commands took to build for this network's first `up`, null when cached. */
  commandsBuiltInSeconds: number | null;
  profiles: Record<string, string>;
}

/** The `ledger` settings (and organisation) a node of one organisation runs with: the profile file's content. */
export interface NodeProfile {
  federation: { organisation: string };
  ledger: {
    engine: 'fabric';
    mspId: string;
    channel: string;
    fabric: {
      endpoint: string;
      tlsRootCertPath: string;
      hostAlias: string;
      mspId: string;
      certPath: string;
      keyPath: string;
      channel: string;
      chaincode: string;
    };
  };
}

export interface UpOptions {
  projectRoot: string;
  /** Throw away an existing network's data and start afresh (the test suite does). */
  fresh?: boolean;
  log?: (line: string) => void;
}

const builderDir = (projectRoot: string) => path.join(projectRoot, 'scripts', 'fabric', 'builder');

export class FabricNetwork {
  readonly paths: ReturnType<typeof networkPaths>;

  constructor(readonly layout: NetworkLayout) {
    this.paths = networkPaths(layout);
  }

  state(): NetworkState | null {
    if (!existsSync(this.paths.state)) return null;
    return JSON.parse(readFileSync(this.paths.state, 'utf8')) as NetworkState;
  }

  /** The profile a node of the organisation (name or MSP id) reads. */
  profile(nameOrMsp: string): NodeProfile {
    const all = [...this.layout.orgs, ...this.layout.members];
    const o = all.find((x) => x.name === nameOrMsp || x.mspId === nameOrMsp);
    if (!o) throw new Error(`no organisation "${nameOrMsp}" in network ${this.layout.name} (${all.map((x) => x.name).join(', ')})`);
    return JSON.parse(readFileSync(this.paths.profile(o), 'utf8')) as NodeProfile;
  }

  running(): boolean {
    const procs = listProcesses(this.paths.run);
    return procs.length === 5 && procs.every((p) => p.alive);
  }

  async up(options: UpOptions): Promise<NetworkState> {
    const log = options.log ?? ((line: string) => console.log(line));
    const started = Date.now();
    if (options.fresh) await this.down({ purge: true });
    const existing = this.state();
    if (existing && this.running()) {
      log(`network ${this.layout.name} is already running (${this.layout.dir})`);
      return existing;
    }
    const commands = await ensureFabricCommands(this.layout.home, log);
    ensureChaincodeBuilt(options.projectRoot, log);

    if (existing && existsSync(this.paths.channelBlock)) {
      // A stopped network: the same keys, ledgers and chaincode; start its processes again.
      await stopProcesses(this.paths.run);
      await this.startOrderer(commands.binDir);
      await this.waitForRaftLeader();
      for (const o of this.layout.orgs) await this.startPeer(commands.binDir, o);
      for (const o of this.layout.orgs) await this.startChaincodeServer(options.projectRoot, o, existing.packageId);
      await this.waitForChaincode(commands.binDir);
      log(`network ${this.layout.name} restarted in ${secondsSince(started)} s`);
      return existing;
    }

    await stopProcesses(this.paths.run);
    rmSync(this.layout.dir, { recursive: true, force: true });
    for (const d of [this.paths.config, this.paths.data, this.paths.logs, this.paths.run, this.paths.profiles, path.dirname(this.paths.channelBlock)]) mkdirSync(d, { recursive: true });

    log('making the organisations\' keys and certificates (cryptogen)');
    writeFileSync(path.join(this.paths.config, 'crypto-config.yaml'), cryptoConfigYaml(this.layout));
    await this.tool(commands.binDir, 'cryptogen', ['generate', `--config=${path.join(this.paths.config, 'crypto-config.yaml')}`, `--output=${this.paths.crypto}`]);

    writeFileSync(path.join(this.paths.config, 'core.yaml'), coreYaml(readFileSync(path.join(commands.sampleConfigDir, 'core.yaml'), 'utf8'), builderDir(options.projectRoot)));
    writeFileSync(path.join(this.paths.config, 'orderer.yaml'), readFileSync(path.join(commands.sampleConfigDir, 'orderer.yaml')));
    writeFileSync(path.join(this.paths.config, 'configtx.yaml'), configtxYaml(this.layout, this.paths.crypto));
    log(`making the channel "${CHANNEL}"'s genesis block (configtxgen)`);
    await this.tool(commands.binDir, 'configtxgen', ['-profile', 'NinetenChannel', '-outputBlock', this.paths.channelBlock, '-channelID', CHANNEL]);

    log('starting the orderer');
    await this.startOrderer(commands.binDir);
    const adminTls = this.paths.ordererAdminTls;
    await this.tool(commands.binDir, 'osnadmin', [
      'channel', 'join', '--channelID', CHANNEL, '--config-block', this.paths.channelBlock,
      '-o', `127.0.0.1:${this.layout.orderer.adminPort}`,
      '--ca-file', path.join(this.paths.ordererTls, 'ca.crt'),
      '--client-cert', path.join(adminTls, 'client.crt'), '--client-key', path.join(adminTls, 'client.key'),
    ]);
    await this.waitForRaftLeader();

    for (const o of this.layout.orgs) {
      log(`starting ${o.peerHost} and joining it to the channel`);
      await this.startPeer(commands.binDir, o);
      await this.retry(() => this.peerAdmin(commands.binDir, o, ['channel', 'join', '-b', this.paths.channelBlock]), `${o.peerHost} joins ${CHANNEL}`);
    }

    const packageLabel = chaincodeLabel(options.projectRoot, 1);
    const packageFile = writeChaincodePackage(path.join(this.layout.dir, 'chaincode'), packageLabel);
    const packageId = (await this.tool(commands.binDir, 'peer', ['lifecycle', 'chaincode', 'calculatepackageid', packageFile])).trim();
    for (const o of this.layout.orgs) {
      log(`installing the chaincode package ${packageLabel} on ${o.peerHost} and starting ${o.name}'s chaincode server`);
      await this.peerAdmin(commands.binDir, o, ['lifecycle', 'chaincode', 'install', packageFile]);
      await this.startChaincodeServer(options.projectRoot, o, packageId);
    }
    await this.defineChaincode(commands.binDir, options.projectRoot, packageId, 1);
    await this.waitForChaincode(commands.binDir);

    const profiles: Record<string, string> = {};
    for (const o of [...this.layout.orgs, ...this.layout.members]) {
      writeFileSync(this.paths.profile(o), JSON.stringify(this.nodeProfile(o), null, 2) + '\n');
      profiles[o.mspId] = this.paths.profile(o);
    }
    const state: NetworkState = {
      release: FABRIC_RELEASE.tag,
      channel: CHANNEL,
      chaincode: CHAINCODE,
      packageLabel,
      packageId,
      sequence: 1,
      createdAt: new Date().toISOString(),
      commandsBuiltInSeconds: commands.builtInSeconds,
      profiles,
    };
    writeFileSync(this.paths.state, JSON.stringify(state, null, 2) + '\n');
    log(`network ${this.layout.name} is up in ${secondsSince(started)} s${commands.builtInSeconds !== null ? ` (of which ${commands.builtInSeconds} s building Fabric's commands)` : ''}`);
    for (const [msp, file] of Object.entries(profiles)) log(`  ${msp}: NINETEN_CONFIG=${file} npm start`);
    return state;
  }

  /**
   * A new version of the chaincode: a new package installed on every peer, the chaincode
   * servers restarted with it, then approved by each organisation and committed with the
   * next sequence. The ledger's data stays.
   */
  async upgrade(options: UpOptions): Promise<NetworkState> {
    const log = options.log ?? ((line: string) => console.log(line));
    const state = this.state();
    if (!state || !this.running()) throw new Error(`network ${this.layout.name} is not running: npm run fabric -- up`);
    const commands = await ensureFabricCommands(this.layout.home, log);
    ensureChaincodeBuilt(options.projectRoot, log, true);
    const sequence = state.sequence + 1;
    const packageLabel = chaincodeLabel(options.projectRoot, sequence);
    const packageFile = writeChaincodePackage(path.join(this.layout.dir, 'chaincode'), packageLabel);
    const packageId = (await this.tool(commands.binDir, 'peer', ['lifecycle', 'chaincode', 'calculatepackageid', packageFile])).trim();
    for (const o of this.layout.orgs) {
      log(`installing ${packageLabel} on ${o.peerHost} and restarting ${o.name}'s chaincode server`);
      await this.peerAdmin(commands.binDir, o, ['lifecycle', 'chaincode', 'install', packageFile]);
      await stopProcesses(this.paths.run, 5000, `chaincode-${o.name}`);
      await this.startChaincodeServer(options.projectRoot, o, packageId);
    }
    await this.defineChaincode(commands.binDir, options.projectRoot, packageId, sequence);
    await this.waitForChaincode(commands.binDir);
    const next: NetworkState = { ...state, packageLabel, packageId, sequence };
    writeFileSync(this.paths.state, JSON.stringify(next, null, 2) + '\n');
    log(`chaincode ${CHAINCODE} upgraded to sequence ${sequence} (${packageLabel})`);
    return next;
  }

  async down(options: { purge?: boolean } = {}): Promise<string[]> {
    const stopped = await stopProcesses(this.paths.run);
    if (options.purge) rmSync(this.layout.dir, { recursive: true, force: true });
    return stopped;
  }

  /** What runs, the channel's height on each peer and the committed chaincode. */
  async status(): Promise<{ network: string; dir: string; state: NetworkState | null; processes: ReturnType<typeof listProcesses>; heights: Record<string, number | string> }> {
    const processes = listProcesses(this.paths.run);
    const heights: Record<string, number | string> = {};
    const state = this.state();
    if (state) {
      for (const o of this.layout.orgs) {
        try {
          const out = await this.peerAdmin(this.layout.binDir, o, ['channel', 'getinfo', '-c', CHANNEL]);
          const m = /"height":(\d+)/.exec(out);
          heights[o.peerHost] = m ? Number(m[1]) : out.trim();
        } catch (err) {
          heights[o.peerHost] = `unreachable: ${(err as Error).message.split('\n')[0]}`;
        }
      }
    }
    return { network: this.layout.name, dir: this.layout.dir, state, processes, heights };
  }

  /** The settings of a node of an organisation: its own peer's gateway, or (without a peer) its gateway organisation's. */
  nodeProfile(o: OrgLayout | MemberLayout): NodeProfile {
    const peer = 'gateway' in o ? o.gateway : o;
    return {
      federation: { organisation: o.mspId },
      ledger: {
        engine: 'fabric',
        mspId: o.mspId,
        channel: CHANNEL,
        fabric: {
          endpoint: `127.0.0.1:${peer.peerPort}`,
          tlsRootCertPath: path.join(this.paths.peerTls(peer), 'ca.crt'),
          hostAlias: peer.peerHost,
          mspId: o.mspId,
          certPath: this.paths.userCert(o),
          keyPath: this.paths.userKey(o),
          channel: CHANNEL,
          chaincode: CHAINCODE,
        },
      },
    };
  }

  // ---- processes ----

  private cfgEnv(): NodeJS.ProcessEnv {
    return { ...process.env, FABRIC_CFG_PATH: this.paths.config, FABRIC_LOGGING_SPEC: process.env.FABRIC_LOGGING_SPEC ?? 'INFO' };
  }

  private async startOrderer(binDir: string): Promise<void> {
    const o = this.layout.orderer;
    const tls = this.paths.ordererTls;
    const data = path.join(this.paths.data, 'orderer');
    const spec: ProcessSpec = {
      name: 'orderer',
      command: path.join(binDir, 'orderer'),
      args: [],
      env: {
        ...this.cfgEnv(),
        ORDERER_GENERAL_LISTENADDRESS: '127.0.0.1',
        ORDERER_GENERAL_LISTENPORT: String(o.port),
        ORDERER_GENERAL_LOCALMSPID: 'OrdererMSP',
        ORDERER_GENERAL_LOCALMSPDIR: this.paths.ordererMsp,
        ORDERER_GENERAL_TLS_ENABLED: 'true',
        ORDERER_GENERAL_TLS_PRIVATEKEY: path.join(tls, 'server.key'),
        ORDERER_GENERAL_TLS_CERTIFICATE: path.join(tls, 'server.crt'),
        ORDERER_GENERAL_TLS_ROOTCAS: `[${path.join(tls, 'ca.crt')}]`,
        ORDERER_GENERAL_BOOTSTRAPMETHOD: 'none',
        ORDERER_CHANNELPARTICIPATION_ENABLED: 'true',
        ORDERER_FILELEDGER_LOCATION: data,
        ORDERER_CONSENSUS_WALDIR: path.join(data, 'etcdraft', 'wal'),
        ORDERER_CONSENSUS_SNAPDIR: path.join(data, 'etcdraft', 'snapshot'),
        ORDERER_OPERATIONS_LISTENADDRESS: `127.0.0.1:${o.operationsPort}`,
        ORDERER_ADMIN_LISTENADDRESS: `127.0.0.1:${o.adminPort}`,
        ORDERER_ADMIN_TLS_ENABLED: 'true',
        ORDERER_ADMIN_TLS_PRIVATEKEY: path.join(tls, 'server.key'),
        ORDERER_ADMIN_TLS_CERTIFICATE: path.join(tls, 'server.crt'),
        ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED: 'true',
        ORDERER_ADMIN_TLS_CLIENTROOTCAS: `[${path.join(tls, 'ca.crt')}]`,
        // Prometheus metrics on the operations port: etcdraft's is_leader tells when it orders.
        ORDERER_METRICS_PROVIDER: 'prometheus',
      },
    };
    const pid = startProcess(this.paths.run, this.paths.logs, spec);
    await waitForPort(o.port, { name: spec.name, pid, logDir: this.paths.logs });
    await waitForPort(o.adminPort, { name: spec.name, pid, logDir: this.paths.logs });
  }

  private async startPeer(binDir: string, o: OrgLayout): Promise<void> {
    const tls = this.paths.peerTls(o);
    const data = path.join(this.paths.data, o.peerHost);
    const spec: ProcessSpec = {
      name: `peer-${o.name}`,
      command: path.join(binDir, 'peer'),
      args: ['node', 'start'],
      env: {
        ...this.cfgEnv(),
        CORE_PEER_ID: o.peerHost,
        CORE_PEER_ADDRESS: `127.0.0.1:${o.peerPort}`,
        CORE_PEER_LISTENADDRESS: `127.0.0.1:${o.peerPort}`,
        CORE_PEER_CHAINCODEADDRESS: `127.0.0.1:${o.peerChaincodePort}`,
        CORE_PEER_CHAINCODELISTENADDRESS: `127.0.0.1:${o.peerChaincodePort}`,
        CORE_PEER_GOSSIP_BOOTSTRAP: `127.0.0.1:${o.peerPort}`,
        CORE_PEER_GOSSIP_EXTERNALENDPOINT: `127.0.0.1:${o.peerPort}`,
        CORE_PEER_LOCALMSPID: o.mspId,
        CORE_PEER_MSPCONFIGPATH: this.paths.peerMsp(o),
        CORE_PEER_TLS_ENABLED: 'true',
        CORE_PEER_TLS_CERT_FILE: path.join(tls, 'server.crt'),
        CORE_PEER_TLS_KEY_FILE: path.join(tls, 'server.key'),
        CORE_PEER_TLS_ROOTCERT_FILE: path.join(tls, 'ca.crt'),
        CORE_PEER_FILESYSTEMPATH: data,
        CORE_LEDGER_SNAPSHOTS_ROOTDIR: path.join(data, 'snapshots'),
        CORE_OPERATIONS_LISTENADDRESS: `127.0.0.1:${o.peerOperationsPort}`,
        CORE_METRICS_PROVIDER: 'disabled',
        // No Docker: chaincode runs as a service, built by the external builder.
        CORE_VM_ENDPOINT: '',
        CORE_CHAINCODE_EXECUTETIMEOUT: '120s',
        CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG: JSON.stringify({ address: `127.0.0.1:${o.chaincodePort}` }),
      },
    };
    const pid = startProcess(this.paths.run, this.paths.logs, spec);
    await waitForPort(o.peerPort, { name: spec.name, pid, logDir: this.paths.logs });
  }

  private async startChaincodeServer(projectRoot: string, o: OrgLayout, packageId: string): Promise<void> {
    const node = existsSync(path.join(projectRoot, 'node_modules/.bin/node')) ? path.join(projectRoot, 'node_modules/.bin/node') : process.execPath;
    const spec: ProcessSpec = {
      name: `chaincode-${o.name}`,
      command: node,
      args: [
        path.join(projectRoot, 'node_modules/fabric-shim/cli.js'),
        'server',
        `--chaincode-address=127.0.0.1:${o.chaincodePort}`,
        `--chaincode-id=${packageId}`,
        `--module-path=${path.join(projectRoot, 'chaincode')}`,
      ],
      cwd: path.join(projectRoot, 'chaincode'),
      env: { ...process.env, CORE_CHAINCODE_LOGGING_LEVEL: process.env.CORE_CHAINCODE_LOGGING_LEVEL ?? 'warning' },
    };
    const pid = startProcess(this.paths.run, this.paths.logs, spec);
    await waitForPort(o.chaincodePort, { name: spec.name, pid, logDir: this.paths.logs });
  }

  // ---- lifecycle ----

  private async defineChaincode(binDir: string, projectRoot: string, packageId: string, sequence: number): Promise<void> {
    const collections = path.join(projectRoot, 'chaincode', 'collections_config.json');
    const ordererArgs = ['-o', `127.0.0.1:${this.layout.orderer.port}`, '--tls', '--cafile', path.join(this.paths.ordererTls, 'ca.crt')];
    const common = ['--channelID', CHANNEL, '--name', CHAINCODE, '--version', String(sequence), '--sequence', String(sequence), '--collections-config', collections];
    for (const o of this.layout.orgs) {
      await this.retry(() => this.peerAdmin(binDir, o, ['lifecycle', 'chaincode', 'approveformyorg', ...ordererArgs, ...common, '--package-id', packageId, '--waitForEvent']), `${o.mspId} approves the chaincode`);
    }
    const peers = this.layout.orgs.flatMap((o) => ['--peerAddresses', `127.0.0.1:${o.peerPort}`, '--tlsRootCertFiles', path.join(this.paths.peerTls(o), 'ca.crt')]);
    await this.retry(() => this.peerAdmin(binDir, this.layout.orgs[0], ['lifecycle', 'chaincode', 'commit', ...ordererArgs, ...common, ...peers, '--waitForEvent']), 'chaincode commit');
  }

  /** The orderer orders only once Raft has a leader (a few ticks after it starts). */
  private async waitForRaftLeader(timeoutMs = 60_000): Promise<void> {
    const url = `http://127.0.0.1:${this.layout.orderer.operationsPort}/metrics`;
    const leader = new RegExp(`consensus_etcdraft_is_leader\\{channel="${CHANNEL}"\\} 1`);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const text = await fetch(url).then((r) => r.text(), () => '');
      if (leader.test(text)) return;
      await sleep(250);
    }
    throw new Error(`the orderer has no Raft leader for ${CHANNEL} after ${timeoutMs / 1000} s:\n${logTail(this.paths.logs, 'orderer')}`);
  }

  /**
   * Both peers answer a query through their own chaincode server, and each organisation's
   * gateway finds the other's peer (discovery learns peers by gossip, a few seconds after a
   * start or an upgrade).
   */
  private async waitForChaincode(binDir: string): Promise<void> {
    for (const o of this.layout.orgs) {
      await this.retry(
        () => this.peerAdmin(binDir, o, ['chaincode', 'query', '-C', CHANNEL, '-n', CHAINCODE, '-c', '{"Args":["org.hyperledger.fabric:GetMetadata"]}']),
        `${o.name}'s chaincode answers`,
      );
    }
    const [a, b] = this.layout.orgs;
    for (const [via, other] of [[a, b], [b, a]] as const) {
      const client = new FabricLedger(this.nodeProfile(via).ledger.fabric);
      try {
        await this.retry(() => client.evaluate('NodeRegistryContract:list', [], { endorsingOrganizations: [other.mspId] }), `${via.name}'s gateway reaches ${other.peerHost}`, 60);
      } finally {
        await client.close();
      }
    }
  }

  // ---- commands ----

  private async tool(binDir: string, name: string, args: string[], env: NodeJS.ProcessEnv = this.cfgEnv()): Promise<string> {
    try {
      const { stdout, stderr } = await execFileAsync(path.join(binDir, name), args, { env, maxBuffer: 64 * 1024 * 1024 });
      return stdout || stderr;
    } catch (err) {
      const e = err as { stderr?: string; stdout?: string; message: string };
      throw new Error(`${name} ${args.slice(0, 3).join(' ')} failed: ${(e.stderr || e.stdout || e.message).trim().split('\n').slice(-8).join('\n')}`);
    }
  }

  /** A `peer` command as the organisation's admin, against its own peer. */
  peerAdmin(binDir: string, o: OrgLayout, args: string[]): Promise<string> {
    return this.tool(binDir, 'peer', args, {
      ...this.cfgEnv(),
      FABRIC_LOGGING_SPEC: 'WARNING',
      CORE_PEER_TLS_ENABLED: 'true',
      CORE_PEER_TLS_ROOTCERT_FILE: path.join(this.paths.peerTls(o), 'ca.crt'),
      CORE_PEER_ADDRESS: `127.0.0.1:${o.peerPort}`,
      CORE_PEER_LOCALMSPID: o.mspId,
      CORE_PEER_MSPCONFIGPATH: this.paths.adminMsp(o),
    });
  }

  private async retry<T>(fn: () => Promise<T>, what: string, attempts = 30): Promise<T> {
    let last: unknown;
    let first: unknown;
    for (let i = 0; i < attempts; i++) {
      try {
        return await fn();
      } catch (err) {
        first ??= err;
        last = err;
        await sleep(Math.min(500 * (i + 1), 2000));
      }
    }
    const dead = listProcesses(this.paths.run).filter((p) => !p.alive || !isAlive(p.pid));
    const tails = dead.map((p) => `--- ${p.name} (exited)\n${logTail(this.paths.logs, p.name)}`).join('\n');
    const firstNote = first !== last ? ` (first attempt: ${(first as Error).message})` : '';
    throw new Error(`${what}: ${(last as Error).message}${firstNote}${tails ? `\n${tails}` : ''}`);
  }
}

function secondsSince(t: number): string {
  return ((Date.now() - t) / 1000).toFixed(1);
}

/** Builds chaincode/dist with tsc when missing (or always, for an upgrade). */
function ensureChaincodeBuilt(projectRoot: string, log: (line: string) => void, always = false): void {
  if (!always && existsSync(path.join(projectRoot, 'chaincode/dist/index.js'))) return;
  log('building the chaincode (tsc)');
  const tsc = path.join(projectRoot, 'node_modules/typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(projectRoot, 'chaincode/tsconfig.json')], { cwd: projectRoot, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('the chaincode did not build (tsc -p chaincode/tsconfig.json)');
}

/** A package label that names the sequence and the built chaincode's content (a different build, a different package id). */
function chaincodeLabel(projectRoot: string, sequence: number): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.js')) hash.update(name).update(readFileSync(p));
    }
  };
  walk(path.join(projectRoot, 'chaincode/dist'));
  return `${CHAINCODE}_${sequence}_${hash.digest('hex').slice(0, 12)}`;
}
