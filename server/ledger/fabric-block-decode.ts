// Decodes Fabric blocks as a peer's qscc returns them (fabric-protos): each data entry is an
// Envelope -> Payload -> ChannelHeader (tx id, time, type) and SignatureHeader (creator) ->
// Transaction -> ChaincodeActionPayload (the invocation: chaincode, function, arguments) and
// its endorsed ChaincodeAction (read/write set, event, response); block metadata
// TRANSACTIONS_FILTER holds each transaction's validation code.
import { X509Certificate } from 'node:crypto';
import protos from '@hyperledger/fabric-protos';
import { blockHeaderHash } from './fabric-block-hash.js';

const { common, peer, msp, ledger } = protos;
const { kvrwset } = ledger.rwset;

type ChaincodeAction = InstanceType<typeof peer.ChaincodeAction>;

const nameOf = (map: object) => new Map(Object.entries(map).map(([name, code]) => [code as number, name]));
const validationCodeNames = nameOf(peer.TxValidationCode);
const headerTypeNames = nameOf(common.HeaderType);

export const validationCodeName = (code: number | undefined): string =>
  code === undefined ? 'NOT_VALIDATED' : (validationCodeNames.get(code) ?? `UNKNOWN_${code}`);

export interface DecodedBlock {
  number: number;
  previousHash: Buffer;
  dataHash: Buffer;
  /** This block's header hash (what the next block must name as previous). */
  hash: Buffer;
  /** The data entries (each a serialized Envelope), as stored. */
  data: Uint8Array[];
  /** One validation code per data entry (metadata TRANSACTIONS_FILTER); empty when the block has none. */
  validationCodes: Uint8Array;
}

export function decodeBlock(bytes: Uint8Array): DecodedBlock {
  const block = common.Block.deserializeBinary(bytes);
  const header = block.getHeader();
  if (!header) throw new Error('block has no header');
  const fields = { number: header.getNumber(), previousHash: Buffer.from(header.getPreviousHash_asU8()), dataHash: Buffer.from(header.getDataHash_asU8()) };
  const metadata = block.getMetadata()?.getMetadataList_asU8() ?? [];
  return {
    ...fields,
    hash: blockHeaderHash(fields),
    data: block.getData()?.getDataList_asU8() ?? [],
    validationCodes: metadata[common.BlockMetadataIndex.TRANSACTIONS_FILTER] ?? new Uint8Array(),
  };
}

export interface DecodedTransaction {
  txId: string;
  channel: string;
  /** HeaderType name: ENDORSER_TRANSACTION for chaincode invocations, CONFIG for channel configuration. */
  type: string;
  timestamp: string;
  creatorMsp: string;
  /** The creator certificate's common name (the peer's view of who submitted: the stand-in peer and the chaincode see the same). */
  creatorId: string;
  /** The invoked chaincode (null for a transaction that is not an invocation). */
  chaincode: string | null;
  fn: string;
  args: string[];
  /** The endorsed chaincode action (read/write set, event, response), when there is one. */
  action?: ChaincodeAction;
  /** The MSP ids of the peers that endorsed the transaction, in the block's order. */
  endorsers: string[];
}

const creatorIds = new Map<string, string>();

/** The CN of a PEM certificate, remembered per certificate (every transaction of a node carries the same one). */
function commonNameOf(idBytes: Uint8Array): string {
  const key = Buffer.from(idBytes).toString('base64');
  let cn = creatorIds.get(key);
  if (cn === undefined) {
    try {
      const subject = new X509Certificate(Buffer.from(idBytes)).subject.split('\n');
      cn = subject.find((l) => l.startsWith('CN='))?.slice(3) ?? subject.join(',');
    } catch {
      cn = ''; // not an X.509 identity
    }
    if (creatorIds.size > 1000) creatorIds.clear();
    creatorIds.set(key, cn);
  }
  return cn;
}

const utf8 = (b: Uint8Array) => Buffer.from(b).toString('utf8');

/** Decodes one data entry of a block. Throws on bytes that are not an envelope. */
export function decodeEnvelope(bytes: Uint8Array): DecodedTransaction {
  const payload = common.Payload.deserializeBinary(common.Envelope.deserializeBinary(bytes).getPayload_asU8());
  const header = payload.getHeader();
  if (!header) throw new Error('envelope payload has no header');
  const channelHeader = common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8());
  const creator = msp.SerializedIdentity.deserializeBinary(common.SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8()).getCreator_asU8());
  const ts = channelHeader.getTimestamp();
  const tx: DecodedTransaction = {
    txId: channelHeader.getTxId(),
    channel: channelHeader.getChannelId(),
    type: headerTypeNames.get(channelHeader.getType()) ?? `UNKNOWN_${channelHeader.getType()}`,
    timestamp: ts ? ts.toDate().toISOString() : '',
    creatorMsp: creator.getMspid(),
    creatorId: creator.getIdBytes_asU8().length ? commonNameOf(creator.getIdBytes_asU8()) : '',
    chaincode: null,
    fn: '',
    args: [],
    endorsers: [],
  };
  if (channelHeader.getType() !== common.HeaderType.ENDORSER_TRANSACTION) return tx;

  const [first] = peer.Transaction.deserializeBinary(payload.getData_asU8()).getActionsList();
  if (!first) return tx;
  const actionPayload = peer.ChaincodeActionPayload.deserializeBinary(first.getPayload_asU8());
  const proposalPayload = peer.ChaincodeProposalPayload.deserializeBinary(actionPayload.getChaincodeProposalPayload_asU8());
  const spec = peer.ChaincodeInvocationSpec.deserializeBinary(proposalPayload.getInput_asU8()).getChaincodeSpec();
  const argv = (spec?.getInput()?.getArgsList_asU8() ?? []).map(utf8);
  const endorsed = actionPayload.getAction();
  const action = endorsed ? peer.ChaincodeAction.deserializeBinary(peer.ProposalResponsePayload.deserializeBinary(endorsed.getProposalResponsePayload_asU8()).getExtension_asU8()) : undefined;
  let chaincode = spec?.getChaincodeId()?.getName() || null;
  if (!chaincode && channelHeader.getExtension_asU8().length) {
    chaincode = peer.ChaincodeHeaderExtension.deserializeBinary(channelHeader.getExtension_asU8()).getChaincodeId()?.getName() || null;
  }
  const endorsers = (endorsed?.getEndorsementsList() ?? []).map((e) => {
    try {
      return msp.SerializedIdentity.deserializeBinary(e.getEndorser_asU8()).getMspid();
    } catch {
      return ''; // not a serialized identity: the transaction is still listed
    }
  });
  return { ...tx, chaincode, fn: argv[0] ?? '', args: argv.slice(1), action, endorsers };
}

/**
 * The read/write set in the shape the embedded engine records: `reads` [collection, key, block,
 * tx] (the version read, null for a missing key), `ranges` [collection, start, end, keys seen,
 * exhausted], `writes` {c, k, value | hash | delete}. Collection '' is the chaincode's public
 * state, `private:<name>` a private data collection, whose keys and values the block holds only
 * as SHA-256 hashes (`k` is then `sha256:<hex>`); another namespace is `namespace:<name>`.
 */
export interface ReadWriteSetView {
  reads: [string, string, number | null, number | null][];
  ranges: [string, string, string | null, number, boolean][];
  writes: { c: string; k: string; value?: string; hash?: string; delete?: true }[];
}

const isUtf8 = (b: Buffer) => Buffer.from(b.toString('utf8'), 'utf8').equals(b);
const showValue = (v: Uint8Array) => {
  const b = Buffer.from(v);
  return isUtf8(b) ? b.toString('utf8') : `base64:${b.toString('base64')}`;
};
const hex = (v: Uint8Array) => Buffer.from(v).toString('hex');

function versionOf(v: InstanceType<typeof kvrwset.Version> | undefined): [number | null, number | null] {
  return v ? [v.getBlockNum(), v.getTxNum()] : [null, null];
}

export function readWriteSetOf(action: ChaincodeAction | undefined, chaincode: string | null): ReadWriteSetView {
  const view: ReadWriteSetView = { reads: [], ranges: [], writes: [] };
  const results = action?.getResults_asU8();
  if (!results?.length) return view;
  for (const ns of ledger.rwset.TxReadWriteSet.deserializeBinary(results).getNsRwsetList()) {
    const namespace = ns.getNamespace();
    const own = namespace === chaincode;
    const publicName = own ? '' : `namespace:${namespace}`;
    const kv = kvrwset.KVRWSet.deserializeBinary(ns.getRwset_asU8());
    for (const r of kv.getReadsList()) view.reads.push([publicName, r.getKey(), ...versionOf(r.getVersion())]);
    for (const q of kv.getRangeQueriesInfoList()) {
      const seen = q.getRawReads()?.getKvReadsList().length ?? 0;
      view.ranges.push([publicName, q.getStartKey(), q.getEndKey() || null, seen, q.getItrExhausted()]);
    }
    for (const w of kv.getWritesList()) {
      view.writes.push(w.getIsDelete() ? { c: publicName, k: w.getKey(), delete: true } : { c: publicName, k: w.getKey(), value: showValue(w.getValue_asU8()) });
    }
    for (const coll of ns.getCollectionHashedRwsetList()) {
      const c = own ? `private:${coll.getCollectionName()}` : `private:${namespace}/${coll.getCollectionName()}`;
      const hashed = kvrwset.HashedRWSet.deserializeBinary(coll.getHashedRwset_asU8());
      for (const r of hashed.getHashedReadsList()) view.reads.push([c, `sha256:${hex(r.getKeyHash_asU8())}`, ...versionOf(r.getVersion())]);
      for (const w of hashed.getHashedWritesList()) {
        const k = `sha256:${hex(w.getKeyHash_asU8())}`;
        view.writes.push(w.getIsDelete() ? { c, k, delete: true } : { c, k, hash: hex(w.getValueHash_asU8()) });
      }
    }
  }
  return view;
}

/** The chaincode event (Fabric keeps one per transaction: the last one set). */
export function eventsOf(action: ChaincodeAction | undefined): { name: string; payload: string }[] {
  const bytes = action?.getEvents_asU8();
  if (!bytes?.length) return [];
  const event = peer.ChaincodeEvent.deserializeBinary(bytes);
  return event.getEventName() ? [{ name: event.getEventName(), payload: utf8(event.getPayload_asU8()) }] : [];
}

/** The chaincode's response payload (its return value), as text. */
export function resultOf(action: ChaincodeAction | undefined): string {
  const payload = action?.getResponse()?.getPayload_asU8();
  return payload ? utf8(payload) : '';
}
