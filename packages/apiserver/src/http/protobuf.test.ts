import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { StatusError } from '@kubets/apimachinery';
import { decodeProtobufObject } from './protobuf.js';

/** Bodies kubectl v1.32.4 sent for `kubectl create ...` (captured on the wire). */
const captured = JSON.parse(
  readFileSync(
    new URL('../../test/fixtures/kubectl-protobuf-bodies.json', import.meta.url),
    'utf8',
  ),
) as { bodies: { command: string; hex: string }[] };

const decode = (command: string): unknown => {
  const b = captured.bodies.find((x) => x.command.startsWith(command));
  if (!b) throw new Error(`no capture for ${command}`);
  return decodeProtobufObject(Buffer.from(b.hex, 'hex'));
};

describe('protobuf request bodies from kubectl', () => {
  it('decodes create namespace', () => {
    expect(decode('kubectl create namespace')).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'pbns', creationTimestamp: null },
      spec: {},
      status: {},
    });
  });

  it('decodes create deployment, keeping an explicit replicas: 0 and dropping Go zero values', () => {
    expect(decode('kubectl create deployment')).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'pbd', namespace: 'pbns', creationTimestamp: null, labels: { app: 'pbd' } },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'pbd' } },
        template: {
          metadata: { creationTimestamp: null, labels: { app: 'pbd' } },
          spec: {
            containers: [
              { name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80 }], resources: {} },
            ],
          },
        },
        strategy: {},
      },
      status: {},
    });
  });

  it('decodes maps of strings and bytes (configmap, secret)', () => {
    expect(decode('kubectl create cm')).toMatchObject({ kind: 'ConfigMap', data: { a: 'b' } });
    expect(decode('kubectl create secret')).toMatchObject({
      kind: 'Secret',
      data: { k: Buffer.from('v').toString('base64') },
    });
    expect(decode('kubectl create sa')).toEqual({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'pbsa', namespace: 'pbns', creationTimestamp: null },
    });
  });

  it('decodes services with int-or-string target ports', () => {
    expect(decode('kubectl create service nodeport')).toMatchObject({
      spec: {
        ports: [{ name: '81-8081', protocol: 'TCP', port: 81, targetPort: 8081 }],
        type: 'NodePort',
        selector: { app: 'pbnp' },
      },
    });
  });

  it('decodes jobs with commands', () => {
    expect(decode('kubectl create job')).toMatchObject({
      kind: 'Job',
      spec: {
        template: {
          spec: {
            containers: [{ name: 'pbj', image: 'busybox', command: ['echo', 'hi'] }],
            restartPolicy: 'Never',
          },
        },
      },
    });
  });

  it('refuses bodies without the envelope, malformed bytes and unknown kinds', () => {
    expect(() => decodeProtobufObject(Buffer.from('{}'))).toThrow(StatusError);
    const truncated = Buffer.from(captured.bodies[1]!.hex, 'hex').subarray(0, 40);
    expect(() => decodeProtobufObject(truncated)).toThrow(/unable to decode/);
    // An envelope for a kind without a layout: typeMeta {apiVersion: "v1", kind: "Binding"}.
    const tm = Buffer.concat([
      Buffer.from([0x0a, 2]),
      Buffer.from('v1'),
      Buffer.from([0x12, 7]),
      Buffer.from('Binding'),
    ]);
    const env = Buffer.concat([Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0a, tm.length]), tm]);
    let err: unknown;
    try {
      decodeProtobufObject(env);
    } catch (e) {
      err = e;
    }
    expect((err as StatusError).code).toBe(415);
  });
});
