import { describe, expect, it } from 'vitest';
import type { PutRequest, PutRequest__Output } from '../gen/etcd/types/etcdserverpb/PutRequest.js';
import type { TxnRequest, TxnRequest__Output } from '../gen/etcd/types/etcdserverpb/TxnRequest.js';
import { messageCodec } from './codec.js';
import { checkPutRequest, checkTxnRequest } from './validate.js';

const txnCodec = messageCodec<TxnRequest, TxnRequest__Output>('etcdserverpb.TxnRequest');
const putCodec = messageCodec<PutRequest, PutRequest__Output>('etcdserverpb.PutRequest');
const txn = (t: TxnRequest) => checkTxnRequest(txnCodec.decode(txnCodec.encode(t)))?.message;
const putReq = (p: PutRequest) => checkPutRequest(putCodec.decode(putCodec.encode(p)))?.message;

const put = (key: string) => ({ request_put: { key: Buffer.from(key), value: Buffer.from('v') } });
const del = (key: string, end?: string) => ({
  request_delete_range: { key: Buffer.from(key), ...(end ? { range_end: Buffer.from(end) } : {}) },
});
const get = (key: string) => ({ request_range: { key: Buffer.from(key) } });
const nested = (success: object[], failure: object[] = []) => ({
  request_txn: { success, failure },
});

describe('request validation', () => {
  it('checks puts like etcd', () => {
    expect(putReq({ key: Buffer.from('') })).toBe('etcdserver: key is not provided');
    expect(putReq({ key: Buffer.from('a'), value: Buffer.from('x'), ignore_value: true })).toBe(
      'etcdserver: value is provided',
    );
    expect(putReq({ key: Buffer.from('a'), lease: 5, ignore_lease: true })).toBe(
      'etcdserver: lease is provided',
    );
    expect(putReq({ key: Buffer.from('a'), value: Buffer.from('x') })).toBeUndefined();
  });

  it('limits the operations of a transaction to 128 per list', () => {
    const ops = Array.from({ length: 129 }, (_, i) => get(`k${i}`));
    expect(txn({ success: ops })).toBe('etcdserver: too many operations in txn request');
    expect(txn({ success: ops.slice(0, 128) })).toBeUndefined();
  });

  it('rejects empty keys in compares and ops, and empty ops', () => {
    expect(txn({ compare: [{ key: Buffer.from('') }] })).toBe('etcdserver: key is not provided');
    expect(txn({ success: [get('')] })).toBe('etcdserver: key is not provided');
    expect(txn({ success: [{}] })).toBe('etcdserver: key not found');
  });

  it('rejects a key written twice or both written and deleted in one branch', () => {
    const dup = 'etcdserver: duplicate key given in txn request';
    expect(txn({ success: [put('a'), put('a')] })).toBe(dup);
    expect(txn({ success: [put('b'), del('a', 'c')] })).toBe(dup);
    expect(txn({ success: [put('a'), del('a')] })).toBe(dup);
    expect(txn({ success: [put('a'), nested([put('a')])] })).toBe(dup);
    expect(txn({ success: [del('a', 'z'), nested([put('m')])] })).toBe(dup);
    // Allowed: different branches, then/else of one nested txn, overlapping deletes, reads.
    expect(txn({ success: [put('a')], failure: [put('a')] })).toBeUndefined();
    expect(txn({ success: [nested([put('a')], [put('a')])] })).toBeUndefined();
    expect(txn({ success: [del('a', 'c'), del('b', 'd'), get('b')] })).toBeUndefined();
    expect(txn({ success: [put('c'), del('a', 'c')] })).toBeUndefined(); // end is exclusive
  });
});
