import { messageCodec } from '../apply/codec.js';
import type {
  LeaseTimeToLiveResponse,
  LeaseTimeToLiveResponse__Output,
} from '../gen/etcd/types/etcdserverpb/LeaseTimeToLiveResponse.js';
import type {
  MemberPromoteResponse,
  MemberPromoteResponse__Output,
} from '../gen/etcd/types/etcdserverpb/MemberPromoteResponse.js';
import type {
  MembersResponse,
  MembersResponse__Output,
} from '../gen/etcd/types/kubets/store/MembersResponse.js';

/**
 * The member-to-member protocol on --listen-peer-urls, TLS when the --peer-* files are given.
 * Like etcd's rafthttp, Raft messages travel on one long-lived stream per direction between two
 * members: a connection of its own (RAW_STREAM_MAGIC below, decision 0023; the HTTP/2
 * `PeerPath.stream` of earlier members is still accepted). Snapshots and the leader-local calls
 * followers forward (lease renewals, TTL queries, learner promotion) are HTTP/2 requests
 * (node:http2). Headers use rafthttp's names where it has one.
 */
export const PeerPath = {
  /** POST: the long-lived stream of framed Raft messages from `x-server-from` (peer-frames.ts). */
  stream: '/raft/stream',
  /** POST: one MsgSnap: the message in a header (snapshot data empty), the data as the body. */
  snapshot: '/raft/snapshot',
  /** POST: LeaseKeepAlive forwarded to the leader; body the lease ID, answer the TTL (JSON). */
  leaseRenew: '/leases/renew',
  /** POST: LeaseTimeToLive forwarded to the leader (JSON in, LeaseTimeToLiveResponse out). */
  leaseTimeToLive: '/leases/timetolive',
  /** POST: MemberPromote forwarded to the leader (JSON in, MemberPromoteResponse out). */
  memberPromote: '/members/promote',
  /** GET: the cluster as this member knows it (MembersResponse), for a joining member. */
  members: '/members',
} as const;

/**
 * Members carry the message stream on a TCP (or TLS) connection of its own to the peer port
 * (decision 0023): this magic, one line `<cluster-id> <from> <to>\n` (hex IDs), then the
 * frames of peer-frames.ts, and nothing in the other direction unless the receiver refuses
 * (`<status> <reason>\n`, then it closes). A plaintext port tells it from HTTP/2 by its first
 * bytes (HTTP/2's connection preface starts with `PRI `); over TLS the sender offers no ALPN
 * protocol and the HTTP/2 server hands the connection over as an unknown protocol.
 */
export const RAW_STREAM_MAGIC = Buffer.from('KUBETS-RAFT-STREAM/1\n', 'latin1');
/** Longest handshake a receiver reads before it gives up on the connection. */
export const RAW_HANDSHAKE_MAX = 256;

/** The handshake of a raw message stream. */
export function rawStreamHandshake(clusterId: bigint, from: number, to: number): Buffer {
  const line = `${formatId(clusterId)} ${formatId(from)} ${formatId(to)}\n`;
  return Buffer.concat([RAW_STREAM_MAGIC, Buffer.from(line, 'latin1')]);
}

export const PeerHeader = {
  clusterId: 'x-etcd-cluster-id',
  from: 'x-server-from',
  to: 'x-raft-to',
  /** Snapshot requests: the MsgSnap (its snapshot data left empty), encoded, in base64. */
  snapshotMessage: 'x-raft-snapshot-message',
  /** Snapshot requests: the size of the state machine data (the body). */
  snapshotBytes: 'x-snapshot-bytes',
  /** Error answers: the gRPC status code the caller should surface. */
  errorCode: 'x-etcd-error-code',
} as const;

/** HTTP/2 settings of both ends: a large window, so the stream is never stalled on loopback. */
export const PEER_HTTP2_SETTINGS = {
  initialWindowSize: 16 * 1024 * 1024,
  maxFrameSize: 64 * 1024,
} as const;
/** The connection-level receive window (snapshots and the message stream share it). */
export const PEER_CONNECTION_WINDOW = 64 * 1024 * 1024;
/** nghttp2's memory budget per session, in MB (the default 10 would refuse large bursts). */
export const PEER_MAX_SESSION_MEMORY_MB = 256;

/** The TLS material of the peer port, read from the --peer-* files. */
export interface PeerTls {
  ca: Buffer | undefined;
  cert: Buffer;
  key: Buffer;
  /** --peer-client-cert-auth: the server wants a certificate signed by `ca`. */
  clientCertAuth: boolean;
}

export const membersCodec = messageCodec<MembersResponse, MembersResponse__Output>(
  'kubets.store.MembersResponse',
);
export const leaseTimeToLiveCodec = messageCodec<
  LeaseTimeToLiveResponse,
  LeaseTimeToLiveResponse__Output
>('etcdserverpb.LeaseTimeToLiveResponse');
export const memberPromoteCodec = messageCodec<
  MemberPromoteResponse,
  MemberPromoteResponse__Output
>('etcdserverpb.MemberPromoteResponse');

/** A cluster or member ID in a header (hex, as rafthttp writes them). */
export function formatId(id: bigint | number): string {
  return id.toString(16);
}

export function parseId(value: string | string[] | undefined): bigint | undefined {
  if (typeof value !== 'string' || !/^[0-9a-f]{1,16}$/i.test(value)) return undefined;
  return BigInt(`0x${value}`);
}
