// A STAND-IN for a Fabric peer, for tests only: no Fabric peer can run here, so this
// gRPC server implements the Gateway service (Evaluate, Endorse, Submit, CommitStatus)
// the way @hyperledger/fabric-gateway calls it, and executes the same contracts through
// the embedded engine. It checks what a peer checks on the way: the proposal and envelope
// signatures against the client certificate, and that certificate against the MSP's CA.
// Endorse simulates (keeping the read/write set), Submit validates and commits (MVCC),
// CommitStatus reports the validation code, so the fabric engine runs the same scenario.
import { X509Certificate, verify as verifySignature, createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import protos from '@hyperledger/fabric-protos';
import { createRequire } from 'node:module';
import { EmbeddedLedger, type Simulation } from '../../server/ledger/embedded.js';
import { LedgerError, type LedgerIdentity } from '../../server/ledger/types.js';

const { common, peer, gateway, msp, google } = protos;
const { Any } = createRequire(import.meta.url)('google-protobuf/google/protobuf/any_pb.js') as { Any: new () => { setTypeUrl(u: string): void; setValue(v: Uint8Array): void } };

const VALID = peer.TxValidationCode.VALID;
const MVCC_READ_CONFLICT = peer.TxValidationCode.MVCC_READ_CONFLICT;

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
    action.setResults(Buffer.from(JSON.stringify({ writes: sim.writes.length, reads: sim.reads.length })));
    const prp = new peer.ProposalResponsePayload();
    prp.setProposalHash(createHash('sha256').update(p.proposalBytes).digest());
    prp.setExtension$(action.serializeBinary());
    const endorsement = new peer.Endorsement();
    endorsement.setEndorser(Buffer.from(`stand-in-peer.${opts.mspId ?? 'Org1MSP'}`));
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

  async function statusOf(txId: string): Promise<{ code: number; block: number } | undefined> {
    const row = await opts.ledger.getTransaction(txId);
    if (row) return { code: VALID, block: Number(row.block_number) };
    return invalid.get(txId);
  }
  const invalid = new Map<string, { code: number; block: number }>();

  const impl: grpc.UntypedServiceImplementation = {
    evaluate(call: grpc.ServerUnaryCall<InstanceType<typeof gateway.EvaluateRequest>, unknown>, cb: grpc.sendUnaryData<unknown>) {
      (async () => {
        const p = parseProposal(call.request.getProposedTransaction()!);
        const sim = await opts.ledger.simulate(p.fn, p.args, { identity: p.identity, transient: p.transient, txId: p.txId, timestamp: p.timestamp });
        const response = new peer.Response();
        response.setStatus(200);
        response.setPayload(sim.result);
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
        // Ordered and validated: a tx id already on the ledger is a duplicate and changes nothing.
        if (!(await statusOf(txId))) {
          const sim = pending.get(txId);
          if (!sim) throw grpcError(grpc.status.FAILED_PRECONDITION, `no endorsement for transaction ${txId}`);
          pending.delete(txId);
          try {
            await opts.ledger.commit(sim);
          } catch (err) {
            if (err instanceof LedgerError && err.code === 'mvcc_conflict') invalid.set(txId, { code: MVCC_READ_CONFLICT, block: -1 });
            else if (!(err instanceof LedgerError && err.code === 'tx_replay')) throw grpcError(grpc.status.UNAVAILABLE, (err as Error).message, (err as Error).message);
          }
        }
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
          const status = await statusOf(txId);
          if (status) {
            const out = new gateway.CommitStatusResponse();
            out.setResult(status.code as 0);
            out.setBlockNumber(Math.max(status.block, 0));
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
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
