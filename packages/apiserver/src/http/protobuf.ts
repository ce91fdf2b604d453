/**
 * Decoding of the Kubernetes protobuf wire format for request bodies (`application/vnd.kubernetes.protobuf`),
 * which kubectl uses for `create namespace|configmap|secret|serviceaccount|service|deployment|job`.
 * Answers are always JSON (kubectl accepts that).
 *
 * The envelope is the 4 magic bytes `k8s\0` and a `runtime.Unknown` message
 * {1: typeMeta{1: apiVersion, 2: kind}, 2: raw, 3: contentEncoding, 4: contentType}; `raw` is the
 * object in the message layout of upstream's `k8s.io/api/**\/generated.proto`. The field tables
 * below cover those kinds (and what they embed) with upstream's field numbers; unknown fields are
 * skipped, as protobuf readers do.
 */
import {
  newBadRequest,
  newUnsupportedMediaType,
  type JsonObject,
  type JsonValue,
} from '@kubets/apimachinery';

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

type FieldType =
  | 'string'
  | 'bytes'
  | 'int'
  | 'bool'
  | 'time'
  | 'quantity'
  | 'intOrString'
  | { message: string }
  | { map: 'string' | 'bytes' | 'quantity' };

interface FieldSpec {
  name: string;
  type: FieldType;
  repeated?: boolean;
  /**
   * A Go pointer field: a zero value was set on purpose (`replicas: 0`) and is kept. Zero values
   * of plain fields are dropped, as Go's `omitempty` drops them from JSON.
   */
  pointer?: boolean;
}

type MessageSpec = Record<number, FieldSpec>;

const f = (name: string, type: FieldType, repeated = false): FieldSpec => ({
  name,
  type,
  repeated,
});
const p = (name: string, type: FieldType): FieldSpec => ({ name, type, pointer: true });
const msg = (message: string): FieldType => ({ message });

/** Message layouts (field numbers from upstream generated.proto). */
const MESSAGES: Record<string, MessageSpec> = {
  ObjectMeta: {
    1: f('name', 'string'),
    2: f('generateName', 'string'),
    3: f('namespace', 'string'),
    5: f('uid', 'string'),
    6: f('resourceVersion', 'string'),
    7: f('generation', 'int'),
    8: f('creationTimestamp', 'time'),
    11: f('labels', { map: 'string' }),
    12: f('annotations', { map: 'string' }),
    13: f('ownerReferences', msg('OwnerReference'), true),
    14: f('finalizers', 'string', true),
  },
  OwnerReference: {
    1: f('kind', 'string'),
    3: f('name', 'string'),
    4: f('uid', 'string'),
    5: f('apiVersion', 'string'),
    6: p('controller', 'bool'),
    7: p('blockOwnerDeletion', 'bool'),
  },
  LabelSelector: {
    1: f('matchLabels', { map: 'string' }),
    2: f('matchExpressions', msg('LabelSelectorRequirement'), true),
  },
  LabelSelectorRequirement: {
    1: f('key', 'string'),
    2: f('operator', 'string'),
    3: f('values', 'string', true),
  },
  Namespace: {
    1: f('metadata', msg('ObjectMeta')),
    2: f('spec', msg('NamespaceSpec')),
    3: f('status', msg('NamespaceStatus')),
  },
  NamespaceSpec: { 1: f('finalizers', 'string', true) },
  NamespaceStatus: { 1: f('phase', 'string') },
  ConfigMap: {
    1: f('metadata', msg('ObjectMeta')),
    2: f('data', { map: 'string' }),
    3: f('binaryData', { map: 'bytes' }),
    4: p('immutable', 'bool'),
  },
  Secret: {
    1: f('metadata', msg('ObjectMeta')),
    2: f('data', { map: 'bytes' }),
    3: f('type', 'string'),
    4: f('stringData', { map: 'string' }),
    5: p('immutable', 'bool'),
  },
  ServiceAccount: {
    1: f('metadata', msg('ObjectMeta')),
    2: f('secrets', msg('ObjectReference'), true),
    3: f('imagePullSecrets', msg('LocalObjectReference'), true),
    4: p('automountServiceAccountToken', 'bool'),
  },
  ObjectReference: {
    1: f('kind', 'string'),
    2: f('namespace', 'string'),
    3: f('name', 'string'),
    4: f('uid', 'string'),
    5: f('apiVersion', 'string'),
  },
  LocalObjectReference: { 1: f('name', 'string') },
  Service: {
    1: f('metadata', msg('ObjectMeta')),
    2: f('spec', msg('ServiceSpec')),
    3: f('status', msg('Empty')),
  },
  ServiceSpec: {
    1: f('ports', msg('ServicePort'), true),
    2: f('selector', { map: 'string' }),
    3: f('clusterIP', 'string'),
    4: f('type', 'string'),
    5: f('externalIPs', 'string', true),
    7: f('sessionAffinity', 'string'),
    8: f('loadBalancerIP', 'string'),
    10: f('externalName', 'string'),
    11: f('externalTrafficPolicy', 'string'),
    13: f('publishNotReadyAddresses', 'bool'),
    17: p('ipFamilyPolicy', 'string'),
    18: f('clusterIPs', 'string', true),
    19: f('ipFamilies', 'string', true),
    22: p('internalTrafficPolicy', 'string'),
  },
  ServicePort: {
    1: f('name', 'string'),
    2: f('protocol', 'string'),
    3: f('port', 'int'),
    4: f('targetPort', 'intOrString'),
    5: f('nodePort', 'int'),
    6: f('appProtocol', 'string'),
  },
  Deployment: {
    1: f('metadata', msg('ObjectMeta')),
    2: f('spec', msg('DeploymentSpec')),
    3: f('status', msg('Empty')),
  },
  DeploymentSpec: {
    1: p('replicas', 'int'),
    2: f('selector', msg('LabelSelector')),
    3: f('template', msg('PodTemplateSpec')),
    4: f('strategy', msg('DeploymentStrategy')),
    5: f('minReadySeconds', 'int'),
    6: p('revisionHistoryLimit', 'int'),
    7: f('paused', 'bool'),
    9: p('progressDeadlineSeconds', 'int'),
  },
  DeploymentStrategy: {
    1: f('type', 'string'),
    2: f('rollingUpdate', msg('RollingUpdateDeployment')),
  },
  RollingUpdateDeployment: {
    1: f('maxUnavailable', 'intOrString'),
    2: f('maxSurge', 'intOrString'),
  },
  Job: {
    1: f('metadata', msg('ObjectMeta')),
    2: f('spec', msg('JobSpec')),
    3: f('status', msg('Empty')),
  },
  JobSpec: {
    1: p('parallelism', 'int'),
    2: p('completions', 'int'),
    3: p('activeDeadlineSeconds', 'int'),
    4: f('selector', msg('LabelSelector')),
    5: p('manualSelector', 'bool'),
    6: f('template', msg('PodTemplateSpec')),
    7: p('backoffLimit', 'int'),
    8: p('ttlSecondsAfterFinished', 'int'),
    9: p('completionMode', 'string'),
    10: p('suspend', 'bool'),
  },
  PodTemplateSpec: { 1: f('metadata', msg('ObjectMeta')), 2: f('spec', msg('PodSpec')) },
  PodSpec: {
    2: f('containers', msg('Container'), true),
    3: f('restartPolicy', 'string'),
    4: p('terminationGracePeriodSeconds', 'int'),
    5: p('activeDeadlineSeconds', 'int'),
    6: f('dnsPolicy', 'string'),
    7: f('nodeSelector', { map: 'string' }),
    8: f('serviceAccountName', 'string'),
    10: f('nodeName', 'string'),
    11: f('hostNetwork', 'bool'),
    20: f('initContainers', msg('Container'), true),
    19: f('schedulerName', 'string'),
  },
  Container: {
    1: f('name', 'string'),
    2: f('image', 'string'),
    3: f('command', 'string', true),
    4: f('args', 'string', true),
    5: f('workingDir', 'string'),
    6: f('ports', msg('ContainerPort'), true),
    7: f('env', msg('EnvVar'), true),
    8: f('resources', msg('ResourceRequirements')),
    14: f('imagePullPolicy', 'string'),
    16: f('stdin', 'bool'),
    17: f('stdinOnce', 'bool'),
    18: f('tty', 'bool'),
  },
  ContainerPort: {
    1: f('name', 'string'),
    2: f('hostPort', 'int'),
    3: f('containerPort', 'int'),
    4: f('protocol', 'string'),
    5: f('hostIP', 'string'),
  },
  EnvVar: { 1: f('name', 'string'), 2: f('value', 'string') },
  ResourceRequirements: {
    1: f('limits', { map: 'quantity' }),
    2: f('requests', { map: 'quantity' }),
  },
  // rbac.authorization.k8s.io/v1 (kubectl create role|clusterrole|rolebinding|clusterrolebinding)
  Role: { 1: f('metadata', msg('ObjectMeta')), 2: f('rules', msg('PolicyRule'), true) },
  ClusterRole: {
    1: f('metadata', msg('ObjectMeta')),
    2: f('rules', msg('PolicyRule'), true),
    3: f('aggregationRule', msg('AggregationRule')),
  },
  PolicyRule: {
    1: f('verbs', 'string', true),
    2: f('apiGroups', 'string', true),
    3: f('resources', 'string', true),
    4: f('resourceNames', 'string', true),
    5: f('nonResourceURLs', 'string', true),
  },
  AggregationRule: { 1: f('clusterRoleSelectors', msg('LabelSelector'), true) },
  RoleBinding: {
    1: f('metadata', msg('ObjectMeta')),
    2: f('subjects', msg('Subject'), true),
    3: f('roleRef', msg('RoleRef')),
  },
  Subject: {
    1: f('kind', 'string'),
    2: f('apiGroup', 'string'),
    3: f('name', 'string'),
    4: f('namespace', 'string'),
  },
  RoleRef: { 1: f('apiGroup', 'string'), 2: f('kind', 'string'), 3: f('name', 'string') },
  // authorization.k8s.io/v1 and authentication.k8s.io/v1 (kubectl auth can-i / whoami, create token)
  SelfSubjectAccessReview: {
    1: f('metadata', msg('ObjectMeta')),
    2: f('spec', msg('SelfSubjectAccessReviewSpec')),
  },
  SelfSubjectAccessReviewSpec: {
    1: f('resourceAttributes', msg('ResourceAttributes')),
    2: f('nonResourceAttributes', msg('NonResourceAttributes')),
  },
  ResourceAttributes: {
    1: f('namespace', 'string'),
    2: f('verb', 'string'),
    3: f('group', 'string'),
    4: f('version', 'string'),
    5: f('resource', 'string'),
    6: f('subresource', 'string'),
    7: f('name', 'string'),
  },
  NonResourceAttributes: { 1: f('path', 'string'), 2: f('verb', 'string') },
  SubjectAccessReview: {
    1: f('metadata', msg('ObjectMeta')),
    2: f('spec', msg('SubjectAccessReviewSpec')),
  },
  SubjectAccessReviewSpec: {
    1: f('resourceAttributes', msg('ResourceAttributes')),
    2: f('nonResourceAttributes', msg('NonResourceAttributes')),
    3: f('user', 'string'),
    4: f('groups', 'string', true),
    6: f('uid', 'string'),
  },
  SelfSubjectRulesReview: {
    1: f('metadata', msg('ObjectMeta')),
    2: f('spec', msg('SelfSubjectRulesReviewSpec')),
  },
  SelfSubjectRulesReviewSpec: { 1: f('namespace', 'string') },
  SelfSubjectReview: { 1: f('metadata', msg('ObjectMeta')) },
  TokenReview: { 1: f('metadata', msg('ObjectMeta')), 2: f('spec', msg('TokenReviewSpec')) },
  TokenReviewSpec: { 1: f('token', 'string'), 2: f('audiences', 'string', true) },
  TokenRequest: { 1: f('metadata', msg('ObjectMeta')), 2: f('spec', msg('TokenRequestSpec')) },
  TokenRequestSpec: {
    1: f('audiences', 'string', true),
    3: f('boundObjectRef', msg('BoundObjectReference')),
    4: p('expirationSeconds', 'int'),
  },
  BoundObjectReference: {
    1: f('kind', 'string'),
    2: f('apiVersion', 'string'),
    3: f('name', 'string'),
    4: f('uid', 'string'),
  },
  Empty: {},
};

/** The kinds whose protobuf bodies are understood, by `apiVersion/kind`. */
const ROOTS: Record<string, string> = {
  'v1/Namespace': 'Namespace',
  'v1/ConfigMap': 'ConfigMap',
  'v1/Secret': 'Secret',
  'v1/ServiceAccount': 'ServiceAccount',
  'v1/Service': 'Service',
  'apps/v1/Deployment': 'Deployment',
  'batch/v1/Job': 'Job',
  'rbac.authorization.k8s.io/v1/Role': 'Role',
  'rbac.authorization.k8s.io/v1/ClusterRole': 'ClusterRole',
  'rbac.authorization.k8s.io/v1/RoleBinding': 'RoleBinding',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': 'RoleBinding',
  'authorization.k8s.io/v1/SelfSubjectAccessReview': 'SelfSubjectAccessReview',
  'authorization.k8s.io/v1/SubjectAccessReview': 'SubjectAccessReview',
  'authorization.k8s.io/v1/LocalSubjectAccessReview': 'SubjectAccessReview',
  'authorization.k8s.io/v1/SelfSubjectRulesReview': 'SelfSubjectRulesReview',
  'authentication.k8s.io/v1/SelfSubjectReview': 'SelfSubjectReview',
  'authentication.k8s.io/v1/TokenReview': 'TokenReview',
  'authentication.k8s.io/v1/TokenRequest': 'TokenRequest',
};

class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new Error('varint too long');
    }
  }

  bytes(): Buffer {
    const len = Number(this.varint());
    if (this.pos + len > this.buf.length) throw new Error('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }

  /** Every (field, wire type) in the message, reading values through `fn`. */
  fields(fn: (field: number, wire: number) => void): void {
    while (!this.done) {
      const tag = Number(this.varint());
      fn(tag >> 3, tag & 7);
    }
  }
}

function toSigned(v: bigint): number {
  return Number(BigInt.asIntN(64, v));
}

function decodeTime(buf: Buffer): string | null {
  let seconds = 0n;
  const r = new Reader(buf);
  r.fields((field, wire) => {
    if (field === 1 && wire === 0) seconds = BigInt.asIntN(64, r.varint());
    else r.skip(wire);
  });
  if (seconds === 0n) return null;
  return new Date(Number(seconds) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function decodeQuantity(buf: Buffer): string {
  let s = '';
  const r = new Reader(buf);
  r.fields((field, wire) => {
    if (field === 1 && wire === 2) s = r.bytes().toString('utf8');
    else r.skip(wire);
  });
  return s;
}

function decodeIntOrString(buf: Buffer): JsonValue {
  let type = 0;
  let intVal = 0;
  let strVal = '';
  const r = new Reader(buf);
  r.fields((field, wire) => {
    if (field === 1 && wire === 0) type = toSigned(r.varint());
    else if (field === 2 && wire === 0) intVal = toSigned(r.varint());
    else if (field === 3 && wire === 2) strVal = r.bytes().toString('utf8');
    else r.skip(wire);
  });
  return type === 1 ? strVal : intVal;
}

function decodeMapEntry(
  buf: Buffer,
  valueType: 'string' | 'bytes' | 'quantity',
): [string, JsonValue] {
  let key = '';
  let value: JsonValue = valueType === 'bytes' ? '' : '';
  const r = new Reader(buf);
  r.fields((field, wire) => {
    if (field === 1 && wire === 2) key = r.bytes().toString('utf8');
    else if (field === 2 && wire === 2) {
      const b = r.bytes();
      value =
        valueType === 'string'
          ? b.toString('utf8')
          : valueType === 'bytes'
            ? b.toString('base64')
            : decodeQuantity(b);
    } else r.skip(wire);
  });
  return [key, value];
}

function decodeMessage(buf: Buffer, name: string): JsonObject {
  const spec = MESSAGES[name];
  if (!spec) throw new Error(`no protobuf layout for ${name}`);
  const out: JsonObject = {};
  const r = new Reader(buf);
  r.fields((field, wire) => {
    const fs = spec[field];
    if (!fs) return r.skip(wire);
    const t = fs.type;
    let value: JsonValue;
    if (typeof t === 'object' && 'map' in t) {
      if (wire !== 2) return r.skip(wire);
      const [k, v] = decodeMapEntry(r.bytes(), t.map);
      const m = (out[fs.name] ??= {}) as JsonObject;
      m[k] = v;
      return;
    }
    if (typeof t === 'object') {
      if (wire !== 2) return r.skip(wire);
      value = decodeMessage(r.bytes(), t.message);
    } else if (t === 'string') {
      if (wire !== 2) return r.skip(wire);
      value = r.bytes().toString('utf8');
    } else if (t === 'bytes') {
      if (wire !== 2) return r.skip(wire);
      value = r.bytes().toString('base64');
    } else if (t === 'int') {
      if (wire !== 0) return r.skip(wire);
      value = toSigned(r.varint());
    } else if (t === 'bool') {
      if (wire !== 0) return r.skip(wire);
      value = r.varint() !== 0n;
    } else if (t === 'time') {
      if (wire !== 2) return r.skip(wire);
      value = decodeTime(r.bytes());
    } else if (t === 'quantity') {
      if (wire !== 2) return r.skip(wire);
      value = decodeQuantity(r.bytes());
    } else {
      if (wire !== 2) return r.skip(wire);
      value = decodeIntOrString(r.bytes());
    }
    if (fs.repeated) {
      const list = (out[fs.name] ??= []) as JsonValue[];
      list.push(value);
    } else if (fs.pointer || (value !== '' && value !== 0 && value !== false)) {
      out[fs.name] = value;
    }
  });
  return out;
}

/**
 * Decodes an enveloped protobuf object to JSON (with apiVersion and kind). 415 for kinds this
 * server has no layout for, 400 for malformed bytes.
 */
export function decodeProtobufObject(body: Buffer): JsonObject {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) {
    throw newBadRequest('protobuf body is missing the "k8s\\x00" prefix');
  }
  let apiVersion = '';
  let kind = '';
  let raw: Buffer | undefined;
  try {
    const r = new Reader(body.subarray(4));
    r.fields((field, wire) => {
      if (field === 1 && wire === 2) {
        const tm = new Reader(r.bytes());
        tm.fields((f2, w2) => {
          if (f2 === 1 && w2 === 2) apiVersion = tm.bytes().toString('utf8');
          else if (f2 === 2 && w2 === 2) kind = tm.bytes().toString('utf8');
          else tm.skip(w2);
        });
      } else if (field === 2 && wire === 2) raw = r.bytes();
      else r.skip(wire);
    });
  } catch (err) {
    throw newBadRequest(`unable to decode protobuf envelope: ${(err as Error).message}`);
  }
  const root = ROOTS[`${apiVersion}/${kind}`];
  if (!root) throw newUnsupportedMediaType(['application/json', 'application/yaml']);
  try {
    return { apiVersion, kind, ...decodeMessage(raw ?? Buffer.alloc(0), root) };
  } catch (err) {
    throw newBadRequest(`unable to decode ${kind} from protobuf: ${(err as Error).message}`);
  }
}
