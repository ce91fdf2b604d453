import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { boolFlag, stringFlag, stringSliceFlag, type FlagValues } from '@kubets/component-base';
import {
  computeClusterId,
  computeMemberId,
  formatId,
  foundingConfState,
} from '../apply/membership.js';
import { DEFAULT_QUOTA_BYTES } from '../apply/quota.js';
import { encodeStateMachine, restoreStateMachine } from '../apply/snapshot-codec.js';
import { StateMachine } from '../apply/state-machine.js';
import { NodeFs } from '../storage/fs.js';
import { RaftLog } from '../storage/raft-log.js';
import { decodeSnapshotFile } from '../storage/snapshot-file.js';
import { parseInitialCluster } from './config.js';

/** `kubets-store snapshot restore` flags: etcdutl's (and etcdctl 3.4's) names and defaults. */
export const restoreFlags = {
  'data-dir': stringFlag({
    help: 'Path to the output data directory (default "${name}.etcd").',
  }),
  name: stringFlag({
    default: 'default',
    help: 'Human-readable name for this member.',
  }),
  'initial-cluster': stringSliceFlag({
    help: 'Initial cluster configuration for restore bootstrap (default "${name}=${initial-advertise-peer-urls}").',
  }),
  'initial-cluster-token': stringFlag({
    default: 'etcd-cluster',
    help: 'Initial cluster token for the etcd cluster during restore bootstrap.',
  }),
  'initial-advertise-peer-urls': stringSliceFlag({
    default: ['http://localhost:2380'],
    help: "List of this member's peer URLs to advertise to the rest of the cluster.",
  }),
  'skip-hash-check': boolFlag({
    help: 'Ignore snapshot integrity hash value (required if copied from data directory).',
  }),
};

export type RestoreFlags = typeof restoreFlags;

export interface RestoreResult {
  dataDir: string;
  memberId: number;
  clusterId: bigint;
  revision: number;
}

/**
 * Restores a snapshot taken with `etcdctl snapshot save` from kubets-store (or copied from a
 * member's snap directory, with --skip-hash-check) into a new data dir for a new cluster, as
 * etcdutl does: the keyspace with its revisions and the leases are kept; the membership, the
 * cluster ID and the Raft log are new, from --initial-cluster and --initial-cluster-token. Run
 * it once per member with that member's --name; start each member with the same flags.
 */
export async function restoreSnapshot(
  file: string,
  v: FlagValues<RestoreFlags>,
  now: number = performance.now(),
): Promise<RestoreResult> {
  const name = v.name;
  const dataDir = v['data-dir'] !== '' ? v['data-dir'] : `${name}.etcd`;
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) {
    throw new Error(`data-dir ${JSON.stringify(dataDir)} exists`);
  }
  const advertise = v['initial-advertise-peer-urls'];
  const initialCluster = parseInitialCluster(
    v['initial-cluster'].length > 0 ? v['initial-cluster'] : advertise.map((u) => `${name}=${u}`),
  );
  const self = initialCluster.find((m) => m.name === name);
  if (self === undefined) {
    throw new Error(
      `--initial-cluster does not contain this member's --name ${JSON.stringify(name)} (members: ${initialCluster.map((m) => m.name).join(', ')})`,
    );
  }

  let blob: Buffer;
  try {
    blob = readFileSync(file);
  } catch (err) {
    throw new Error(`cannot read snapshot ${file}: ${(err as Error).message}`);
  }
  // What Maintenance.Snapshot streams: the snapshot file padded to 512 bytes, then its SHA-256.
  const hasHash = blob.length % 512 === 32;
  if (!v['skip-hash-check']) {
    if (!hasHash) {
      throw new Error(
        `snapshot ${file} has no integrity hash (copied from a data dir?): use --skip-hash-check`,
      );
    }
    const body = blob.subarray(0, blob.length - 32);
    const sha = createHash('sha256').update(body).digest();
    if (!sha.equals(blob.subarray(blob.length - 32))) {
      throw new Error(`snapshot file integrity check failed: ${file} does not match its SHA-256`);
    }
  }
  const { state } = decodeSnapshotFile(hasHash ? blob.subarray(0, blob.length - 32) : blob, file);

  const token = v['initial-cluster-token'];
  const members = initialCluster.map((m) => ({
    id: computeMemberId(m.peerURLs, token),
    // Names are published by each member once it runs, as for a new cluster: the founding
    // snapshot must be the same on every member, whichever --name restored it.
    name: '',
    peerURLs: [...m.peerURLs],
    clientURLs: [],
    isLearner: false,
  }));
  const memberId = computeMemberId(self.peerURLs, token);
  const clusterId = computeClusterId(members.map((m) => m.id));
  const sm = new StateMachine({
    clusterId,
    quotaBytes: DEFAULT_QUOTA_BYTES,
    minLeaseTtlSeconds: 1,
  });
  restoreStateMachine(sm, Buffer.from(state), now);
  // A new cluster: its own members, no alarms of the old one.
  sm.membership.restore(clusterId, members, []);
  sm.alarms.restore([]);
  sm.appliedIndex = 1;
  sm.appliedTerm = 1;
  const confState = foundingConfState(members);
  const fs = new NodeFs(dataDir);
  const log = await RaftLog.create(
    { fs, identity: { memberId, clusterId } },
    { metadata: { index: 1, term: 1, confState }, state: encodeStateMachine(sm) },
    { term: 1, vote: 0, commit: 1 },
  );
  await log.close();
  await fs.close();
  return { dataDir, memberId, clusterId, revision: sm.mvcc.rev };
}

/** The line the restore prints, naming what it made. */
export function describeRestore(r: RestoreResult): string {
  return `restored snapshot into ${r.dataDir}: member ${formatId(r.memberId)} of cluster ${formatId(r.clusterId)}, revision ${r.revision}\n`;
}
