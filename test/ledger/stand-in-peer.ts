// A STAND-IN for a Fabric peer, for tests only: no Fabric peer can run here, so this
// gRPC server implements the Gateway service (Evaluate, Endorse, Submit, CommitStatus)
// the way @hyperledger/fabric-gateway calls it, and executes the same contracts through
// the embedded engine. It checks what a peer checks on the way: the proposal and envelope
// signatures against the client certificate, and that certificate against the MSP's CA.
// Endorse simulates (keeping the read/write set), Submit validates and commits (MVCC),
// CommitStatus reports the validation code, so the fabric engine runs the same scenario.
// Like a peer it keeps a chain of blocks: a genesis config block, then one block per
// submitted transaction holding the envelope's bytes as the client sent them (valid or
// not, with its validation code in TRANSACTIONS_FILTER), linked by Fabric's header hashes;
// and it answers the query system chaincode `qscc` (GetChainInfo, GetBlockByNumber,
// GetTransactionByID, GetBlockByTxID) through Evaluate, as a peer's gateway does.
import { X509Certificate, verify as verifySignature, createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import protos from '@hyperledger/fabric-protos';
import { createRequire } from 'node:module';
import { EmbeddedLedger, type Simulation } from '../../server/ledger/embedded.js';
import { blockDataHash, blockHeaderHash } from '../../server/ledger/fabric-block-hash.js';
import { PUBLIC } from '../../server/ledger/stub.js';
import { LedgerError, type LedgerIdentity } from '../../server/ledger/types.js';

const { common, peer, gateway, msp, google, ledger: ledgerProtos } = protos;
const { kvrwset } = ledgerProtos.rwset;
const require = createRequire(import.meta.url);
const { Any } = require('google-protobuf/google/protobuf/any_pb.js') as { Any: new () => { setTypeUrl(u: string): void; setValue(v: Uint8Array): void } };
const { Timestamp } = require('google-protobuf/google/protobuf/timestamp_pb.js') as { Timestamp: { fromDate(d: Date): never } };

const VALID = peer.TxValidationCode.VALID;
const MVCC_READ_CONFLICT = peer.TxValidationCode.MVCC_READ_CONFLICT;
const DUPLICATE_TXID = peer.TxValidationCode.DUPLICATE_TXID;
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

export interface StandInPeerOptions {
  ledger: EmbeddedLedger;
  /** CA certificate (PEM) per MSP id: a client certificate must be issued by its MSP's CA. */
  msps: Record<string, string | Buffer>;
  /** Serve TLS with this certificate and key (PEM); plain gRPC otherwise. */
  tls?: { cert: Buffer; key: Buffer };
  mspId?: string;
}

export interface StandInPeer {
  endpoint: string;
  stop(): Promise<void>;
  /** Submits seen, by tx id (tests check a resubmission does not execute twice). */
  submits: Map<string, number>;
  /** The chain as stored, block number = index (tests read it, and alter it to check verification). */
  blocks: InstanceType<typeof common.Block>[];
  /** Flips one byte of a stored block's first envelope (its last, inside the signature); returns the undo. */
  tamperEnvelope(blockNumber: number): () => void;
}

function grpcError(code: grpc.status, message: string, detail?: string): grpc.ServiceError {
  const status = new google.rpc.Status();
  status.setCode(code);
  status.setMessage(message);
  if (detail) {
    const d = new gateway.ErrorDetail();
    d.setAddress('stand-in-peer');
    d.setMspId('stand-in');
    d.setMessage(detail);
    const any = new Any();
    any.setTypeUrl('type.googleapis.com/gateway.ErrorDetail');
    any.setValue(d.serializeBinary());
    status.setDetailsList([any as never]);
  }
  const metadata = new grpc.Metadata();
  metadata.set('grpc-status-details-bin', Buffer.from(status.serializeBinary()));
  return Object.assign(new Error(message), { code, details: message, metadata }) as grpc.ServiceError;
}

function cnOf(cert: X509Certificate): string {
  const cn = cert.subject.split('\n').find((l) => l.startsWith('CN='));
  return cn ? cn.slice(3) : cert.subject;
}

interface ParsedProposal {
  txId: string;
  channel: string;
  chaincode: string;
  timestamp: Date;
  identity: LedgerIdentity;
  fn: string;
  args: string[];
  transient: Record<string, string>;
  channelHeaderBytes: Uint8Array;
  signatureHeaderBytes: Uint8Array;
  payloadWithoutTransient: Uint8Array;
  proposalBytes: Uint8Array;
}

export async function startStandInPeer(opts: StandInPeerOptions): Promise<StandInPeer> {
  const pending = new Map<string, Simulation>();
  const submits = new Map<string, number>();
  const cas = new Map(Object.entries(opts.msps).map(([id, pem]) => [id, new X509Certificate(pem)]));

  /** The creator's identity, after checking its certificate and the signature over `signed`. */
  function authenticate(creatorBytes: Uint8Array, signed: Uint8Array, signature: Uint8Array): { identity: LedgerIdentity; cert: X509Certificate } {
    const creator = msp.SerializedIdentity.deserializeBinary(creatorBytes);
    const mspId = creator.getMspid();
    const ca = cas.get(mspId);
    if (!ca) throw grpcError(grpc.status.PERMISSION_DENIED, `unknown MSP ${mspId}`);
    const cert = new X509Certificate(Buffer.from(creator.getIdBytes_asU8()));
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) throw grpcError(grpc.status.PERMISSION_DENIED, `certificate not issued by the CA of ${mspId}`);
    if (!signature.length || !verifySignature('sha256', signed, cert.publicKey, signature)) throw grpcError(grpc.status.PERMISSION_DENIED, 'signature does not verify with the creator certificate');
    return { identity: { mspId, nodeId: cnOf(cert) }, cert };
  }

  function parseProposal(signedProposal: InstanceType<typeof peer.SignedProposal>): ParsedProposal {
    const proposalBytes = signedProposal.getProposalBytes_asU8();
    const proposal = peer.Proposal.deserializeBinary(proposalBytes);
    const header = common.Header.deserializeBinary(proposal.getHeader_asU8());
    const channelHeader = common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8());
    const signatureHeader = common.SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8());
    const { identity } = authenticate(signatureHeader.getCreator_asU8(), proposalBytes, signedProposal.getSignature_asU8());
    const payload = peer.ChaincodeProposalPayload.deserializeBinary(proposal.getPayload_asU8());
    const spec = peer.ChaincodeInvocationSpec.deserializeBinary(payload.getInput_asU8()).getChaincodeSpec();
    const argv = (spec?.getInput()?.getArgsList_asU8() ?? []).map((a) => Buffer.from(a).toString('utf8'));
    const transient: Record<string, string> = {};
    payload.getTransientmapMap().forEach((v: Uint8Array | string, k: string) => {
      transient[k] = Buffer.from(v as Uint8Array).toString('utf8');
    });
    // As on a peer, the transient map never goes into the transaction.
    const stripped = new peer.ChaincodeProposalPayload();
    stripped.setInput(payload.getInput_asU8());
    const ts = channelHeader.getTimestamp();
    return {
      txId: channelHeader.getTxId(),
      channel: channelHeader.getChannelId(),
      chaincode: spec?.getChaincodeId()?.getName() ?? '',
      timestamp: ts ? ts.toDate() : new Date(),
      identity,
      fn: argv[0] ?? '',
      args: argv.slice(1),
      transient,
      channelHeaderBytes: header.getChannelHeader_asU8(),
      signatureHeaderBytes: header.getSignatureHeader_asU8(),
      payloadWithoutTransient: stripped.serializeBinary(),
      proposalBytes,
    };
  }

  function chaincodeFailure(err: unknown): grpc.ServiceError {
    if (err && typeof err === 'object' && 'metadata' in err) return err as grpc.ServiceError;
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof LedgerError && err.code === 'unavailable') return grpcError(grpc.status.UNAVAILABLE, message, message);
    return grpcError(grpc.status.ABORTED, 'failed to endorse transaction, see attached details for more info', `chaincode response 500, ${message}`);
  }

  function buildEnvelope(p: ParsedProposal, sim: Simulation): InstanceType<typeof common.Envelope> {
    const response = new peer.Response();
    response.setStatus(200);
    response.setPayload(sim.result);
    const action = new peer.ChaincodeAction();
    action.setResponse(response);
    action.setResults(readWriteSet(p.chaincode, sim).serializeBinary());
    const lastEvent = sim.events.at(-1); // a Fabric transaction carries one event: the last one set
    if (lastEvent) {
      const event = new peer.ChaincodeEvent();
      event.setChaincodeId(p.chaincode);
      event.setTxId(p.txId);
      event.setEventName(lastEvent.name);
      event.setPayload(lastEvent.payload);
      action.setEvents(event.serializeBinary());
    }
    const chaincodeId = new peer.ChaincodeID();
    chaincodeId.setName(p.chaincode);
    action.setChaincodeId(chaincodeId);
    const prp = new peer.ProposalResponsePayload();
    prp.setProposalHash(createHash('sha256').update(p.proposalBytes).digest());
    prp.setExtension$(action.serializeBinary());
    const endorsement = new peer.Endorsement();
    // A Fabric endorser is the peer's serialized identity (MSP id and certificate).
    const endorser = new msp.SerializedIdentity();
    endorser.setMspid(opts.mspId ?? 'Org1MSP');
    endorser.setIdBytes(Buffer.from('stand-in-peer'));
    endorsement.setEndorser(endorser.serializeBinary());
    const endorsed = new peer.ChaincodeEndorsedAction();
    endorsed.setProposalResponsePayload(prp.serializeBinary());
    endorsed.setEndorsementsList([endorsement]);
    const cap = new peer.ChaincodeActionPayload();
    cap.setChaincodeProposalPayload(p.payloadWithoutTransient);
    cap.setAction(endorsed);
    const txAction = new peer.TransactionAction();
    txAction.setHeader(p.signatureHeaderBytes);
    txAction.setPayload(cap.serializeBinary());
    const transaction = new peer.Transaction();
    transaction.setActionsList([txAction]);
    const header = new common.Header();
    header.setChannelHeader(p.channelHeaderBytes);
    header.setSignatureHeader(p.signatureHeaderBytes);
    const payload = new common.Payload();
    payload.setHeader(header);
    payload.setData(transaction.serializeBinary());
    const envelope = new common.Envelope();
    envelope.setPayload(payload.serializeBinary());
    return envelope;
  }

  /** The simulation's reads and writes as a Fabric TxReadWriteSet: public keys in the clear, private ones hashed. */
  function readWriteSet(chaincode: string, sim: Simulation): InstanceType<typeof ledgerProtos.rwset.TxReadWriteSet> {
    const version = (v: number | null) => {
      if (v === null) return undefined;
      const out = new kvrwset.Version();
      out.setBlockNum(blockOfCommit.get(v) ?? v); // the embedded engine versions keys by its own block numbers
      out.setTxNum(0);
      return out;
    };
    const kvRead = (key: Buffer, v: number | null) => {
      const r = new kvrwset.KVRead();
      r.setKey(key.toString('utf8'));
      r.setVersion(version(v));
      return r;
    };
    const publicSet = new kvrwset.KVRWSet();
    const privates = new Map<string, { hashed: InstanceType<typeof kvrwset.HashedRWSet>; clear: InstanceType<typeof kvrwset.KVRWSet> }>();
    const privateOf = (collection: string) => {
      let entry = privates.get(collection);
      if (!entry) privates.set(collection, (entry = { hashed: new kvrwset.HashedRWSet(), clear: new kvrwset.KVRWSet() }));
      return entry;
    };
    for (const r of sim.reads) {
      if (r.collection === PUBLIC) {
        publicSet.addReads(kvRead(r.key, r.version));
        continue;
      }
      const { hashed, clear } = privateOf(r.collection);
      const h = new kvrwset.KVReadHash();
      h.setKeyHash(sha256(r.key));
      h.setVersion(version(r.version));
      hashed.addHashedReads(h);
      clear.addReads(kvRead(r.key, r.version));
    }
    // Fabric records range queries (for phantom checks) on public state only.
    for (const range of sim.ranges.filter((x) => x.collection === PUBLIC)) {
      const q = new kvrwset.RangeQueryInfo();
      q.setStartKey(range.start.toString('utf8'));
      q.setEndKey(range.end ? range.end.toString('utf8') : '');
      q.setItrExhausted(range.exhausted);
      const reads = new kvrwset.QueryReads();
      reads.setKvReadsList(range.seen.map((x) => kvRead(x.key, x.version)));
      q.setRawReads(reads);
      publicSet.addRangeQueriesInfo(q);
    }
    for (const w of sim.writes) {
      const write = new kvrwset.KVWrite();
      write.setKey(w.key.toString('utf8'));
      write.setIsDelete(w.value === null);
      if (w.value) write.setValue(w.value);
      if (w.collection === PUBLIC) {
        publicSet.addWrites(write);
        continue;
      }
      const { hashed, clear } = privateOf(w.collection);
      const h = new kvrwset.KVWriteHash();
      h.setKeyHash(sha256(w.key));
      h.setIsDelete(w.value === null);
      if (w.value) h.setValueHash(sha256(w.value));
      hashed.addHashedWrites(h);
      clear.addWrites(write);
    }
    const ns = new ledgerProtos.rwset.NsReadWriteSet();
    ns.setNamespace(chaincode);
    ns.setRwset(publicSet.serializeBinary());
    ns.setCollectionHashedRwsetList(
      [...privates].map(([collection, { hashed, clear }]) => {
        const c = new ledgerProtos.rwset.CollectionHashedReadWriteSet();
        c.setCollectionName(collection.replace(/^private:/, ''));
        c.setHashedRwset(hashed.serializeBinary());
        c.setPvtRwsetHash(sha256(clear.serializeBinary())); // the private values stay off the block (gossiped on a real network)
        return c;
      }),
    );
    const set = new ledgerProtos.rwset.TxReadWriteSet();
    set.setDataModel(ledgerProtos.rwset.TxReadWriteSet.DataModel.KV);
    set.setNsRwsetList([ns]);
    return set;
  }

  // ---- the chain ----
  const channel = opts.ledger.channel;
  const blocks: InstanceType<typeof common.Block>[] = [];
  /** Where each tx id first landed: block number and validation code (what a peer's tx index answers). */
  const txIndex = new Map<string, { block: number; code: number }>();
  /** The embedded engine's block number of each valid commit -> the block it is in here. */
  const blockOfCommit = new Map<number, number>();

  function appendBlock(envelope: Uint8Array, code: number): number {
    const number = blocks.length;
    const last = blocks.at(-1)?.getHeader();
    const header = new common.BlockHeader();
    header.setNumber(number);
    header.setPreviousHash(last ? blockHeaderHash({ number: last.getNumber(), previousHash: last.getPreviousHash_asU8(), dataHash: last.getDataHash_asU8() }) : new Uint8Array());
    header.setDataHash(blockDataHash([envelope]));
    const data = new common.BlockData();
    data.setDataList([envelope]);
    const metadata = new common.BlockMetadata();
    const entries: Uint8Array[] = [new Uint8Array(), new Uint8Array(), new Uint8Array(), new Uint8Array(), new Uint8Array()];
    entries[common.BlockMetadataIndex.TRANSACTIONS_FILTER] = Uint8Array.of(code);
    metadata.setMetadataList(entries);
    const block = new common.Block();
    block.setHeader(header);
    block.setData(data);
    block.setMetadata(metadata);
    blocks.push(block);
    return number;
  }

  /** Block 0, as a channel's genesis block: one CONFIG envelope. */
  function genesisBlock(): void {
    const channelHeader = new common.ChannelHeader();
    channelHeader.setType(common.HeaderType.CONFIG);
    channelHeader.setChannelId(channel);
    channelHeader.setTimestamp(Timestamp.fromDate(new Date()));
    const header = new common.Header();
    header.setChannelHeader(channelHeader.serializeBinary());
    header.setSignatureHeader(new common.SignatureHeader().serializeBinary());
    const config = new common.ConfigEnvelope();
    config.setConfig(new common.Config());
    const payload = new common.Payload();
    payload.setHeader(header);
    payload.setData(config.serializeBinary());
    const envelope = new common.Envelope();
    envelope.setPayload(payload.serializeBinary());
    appendBlock(envelope.serializeBinary(), VALID);
  }
  genesisBlock();

  // Ordering and commit are one step at a time, so blocks follow commit order.
  let ordering: Promise<unknown> = Promise.resolve();
  function inOrder<T>(step: () => Promise<T>): Promise<T> {
    const run = ordering.then(step, step);
    ordering = run.catch(() => {});
    return run;
  }

  /** Validates and commits a submitted transaction, then cuts its block (also when it failed validation, as Fabric does). */
  async function order(txId: string, envelope: Uint8Array): Promise<void> {
    if (txIndex.has(txId)) {
      appendBlock(envelope, DUPLICATE_TXID); // a resubmission: recorded, changes nothing
      return;
    }
    const sim = pending.get(txId);
    if (!sim) throw grpcError(grpc.status.FAILED_PRECONDITION, `no endorsement for transaction ${txId}`);
    pending.delete(txId);
    let code: number = VALID;
    let committedAs: number | undefined;
    try {
      committedAs = await opts.ledger.commit(sim);
    } catch (err) {
      if (err instanceof LedgerError && err.code === 'mvcc_conflict') code = MVCC_READ_CONFLICT;
      else if (err instanceof LedgerError && err.code === 'tx_replay') code = DUPLICATE_TXID;
      else throw grpcError(grpc.status.UNAVAILABLE, (err as Error).message, (err as Error).message);
    }
    const number = appendBlock(envelope, code);
    if (committedAs !== undefined) blockOfCommit.set(committedAs, number);
    txIndex.set(txId, { block: number, code });
  }

  function statusOf(txId: string): { code: number; block: number } | undefined {
    return txIndex.get(txId);
  }

  const failedQuery = (message: string) => new Error(message);

  /** The query system chaincode: what a peer's qscc returns, serialized. */
  function qscc(fn: string, args: string[]): Uint8Array {
    const [channelId, arg = ''] = args;
    if (channelId !== channel) throw failedQuery(`Invalid chain ID, ${channelId}`);
    const located = (txId: string) => {
      const at = txIndex.get(txId);
      if (!at) throw failedQuery(`Failed to get transaction with id ${txId}, error no such transaction ID [${txId}] in index`);
      return at;
    };
    switch (fn) {
      case 'GetChainInfo': {
        const last = blocks.at(-1)!.getHeader()!;
        const info = new common.BlockchainInfo();
        info.setHeight(blocks.length);
        info.setCurrentblockhash(blockHeaderHash({ number: last.getNumber(), previousHash: last.getPreviousHash_asU8(), dataHash: last.getDataHash_asU8() }));
        info.setPreviousblockhash(last.getPreviousHash_asU8());
        return info.serializeBinary();
      }
      case 'GetBlockByNumber': {
        const block = /^\d+$/.test(arg) ? blocks[Number(arg)] : undefined;
        if (!block) throw failedQuery(`Failed to get block number ${arg}, error no such block number [${arg}] in index`);
        return block.serializeBinary();
      }
      case 'GetBlockByTxID':
        return blocks[located(arg).block].serializeBinary();
      case 'GetTransactionByID': {
        const at = located(arg);
        const processed = new peer.ProcessedTransaction();
        processed.setTransactionenvelope(common.Envelope.deserializeBinary(blocks[at.block].getData()!.getDataList_asU8()[0]));
        processed.setValidationcode(blocks[at.block].getMetadata()!.getMetadataList_asU8()[common.BlockMetadataIndex.TRANSACTIONS_FILTER][0]);
        return processed.serializeBinary();
      }
      default:
        throw failedQuery(`Requested function ${fn} not found.`);
    }
  }

  const impl: grpc.UntypedServiceImplementation = {
    evaluate(call: grpc.ServerUnaryCall<InstanceType<typeof gateway.EvaluateRequest>, unknown>, cb: grpc.sendUnaryData<unknown>) {
      (async () => {
        const p = parseProposal(call.request.getProposedTransaction()!);
        const result = p.chaincode === 'qscc' ? qscc(p.fn, p.args) : (await opts.ledger.simulate(p.fn, p.args, { identity: p.identity, transient: p.transient, txId: p.txId, timestamp: p.timestamp })).result;
        const response = new peer.Response();
        response.setStatus(200);
        response.setPayload(result);
        const out = new gateway.EvaluateResponse();
        out.setResult(response);
        return out;
      })().then((r) => cb(null, r), (err) => cb(chaincodeFailure(err)));
    },
    endorse(call: grpc.ServerUnaryCall<InstanceType<typeof gateway.EndorseRequest>, unknown>, cb: grpc.sendUnaryData<unknown>) {
      (async () => {
        const p = parseProposal(call.request.getProposedTransaction()!);
        const sim = await opts.ledger.simulate(p.fn, p.args, { identity: p.identity, transient: p.transient, txId: p.txId, timestamp: p.timestamp, forSubmit: true });
        pending.set(p.txId, sim);
        const out = new gateway.EndorseResponse();
        out.setPreparedTransaction(buildEnvelope(p, sim));
        return out;
      })().then((r) => cb(null, r), (err) => cb(chaincodeFailure(err)));
    },
    submit(call: grpc.ServerUnaryCall<InstanceType<typeof gateway.SubmitRequest>, unknown>, cb: grpc.sendUnaryData<unknown>) {
      (async () => {
        const envelope = call.request.getPreparedTransaction()!;
        const payload = common.Payload.deserializeBinary(envelope.getPayload_asU8());
        const signatureHeader = common.SignatureHeader.deserializeBinary(payload.getHeader()!.getSignatureHeader_asU8());
        authenticate(signatureHeader.getCreator_asU8(), envelope.getPayload_asU8(), envelope.getSignature_asU8());
        const txId = call.request.getTransactionId();
        submits.set(txId, (submits.get(txId) ?? 0) + 1);
        // The envelope's bytes as the client signed and sent them go into the block.
        await inOrder(() => order(txId, envelope.serializeBinary()));
        return new gateway.SubmitResponse();
      })().then((r) => cb(null, r), (err) => cb(chaincodeFailure(err)));
    },
    commitStatus(call: grpc.ServerUnaryCall<InstanceType<typeof gateway.SignedCommitStatusRequest>, unknown>, cb: grpc.sendUnaryData<unknown>) {
      (async () => {
        const requestBytes = call.request.getRequest_asU8();
        const request = gateway.CommitStatusRequest.deserializeBinary(requestBytes);
        authenticate(request.getIdentity_asU8(), requestBytes, call.request.getSignature_asU8());
        const txId = request.getTransactionId();
        for (let i = 0; i < 100; i++) {
          const status = statusOf(txId);
          if (status) {
            const out = new gateway.CommitStatusResponse();
            out.setResult(status.code as 0);
            out.setBlockNumber(status.block);
            return out;
          }
          await new Promise((r) => setTimeout(r, 50));
        }
        throw grpcError(grpc.status.DEADLINE_EXCEEDED, `transaction ${txId} not committed`);
      })().then((r) => cb(null, r), (err) => cb(chaincodeFailure(err)));
    },
    chaincodeEvents(call: grpc.ServerWritableStream<unknown, unknown>) {
      call.destroy(grpcError(grpc.status.UNIMPLEMENTED, 'chaincode events are not served by the stand-in peer'));
    },
  };

  const server = new grpc.Server();
  server.addService(gateway.GatewayService as unknown as grpc.ServiceDefinition, impl);
  const creds = opts.tls ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: opts.tls.cert, private_key: opts.tls.key }], false) : grpc.ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', creds, (err, p) => (err ? reject(err) : resolve(p))));
  return {
    endpoint: `127.0.0.1:${port}`,
    submits,
    blocks,
    tamperEnvelope(blockNumber) {
      const data = blocks[blockNumber].getData()!;
      const original = data.getDataList_asU8();
      const altered = Buffer.from(original[0]);
      altered[altered.length - 1] ^= 0x01;
      data.setDataList([altered, ...original.slice(1)]);
      return () => data.setDataList(original);
    },
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
