/**
 * Pod validation (pkg/apis/core/validation: ValidatePodSpec, ValidatePodUpdate,
 * ValidatePodStatusUpdate, ValidatePodBinding) with upstream's field paths and messages.
 * Inputs are defaulted objects, as upstream validates after defaulting.
 */
import {
  Path,
  Quantity,
  duplicate,
  forbidden,
  invalid,
  isValidLabelValue,
  jsonEqual,
  notFound,
  notSupported,
  required,
  tooMany,
  validateLabelName,
  validateLabelSelector,
  validateLabels,
  validateNamespaceName,
  validateObjectMeta,
  validateObjectMetaUpdate,
  nameIsDNSSubdomain,
  type FieldError,
  type ObjectMeta,
} from '@kubets/apimachinery';
import type {
  Affinity,
  Binding,
  Container,
  EnvFromSource,
  EnvVar,
  HTTPGetAction,
  NodeSelectorRequirement,
  NodeSelectorTerm,
  Pod,
  PodAffinityTerm,
  PodSecurityContext,
  PodSpec,
  PodTemplateSpec,
  Probe,
  ResourceRequirements,
  SecurityContext,
  Toleration,
  TopologySpreadConstraint,
  Volume,
  VolumeMount,
} from '../types/core-v1.js';
import {
  GoLiteral,
  inclusiveRangeError,
  isConfigMapKey,
  isEnvVarName,
  isExtendedResourceName,
  isValidPortName,
  isValidPortNum,
  parseQuantity,
  validateContainerResourceName,
  validateDNS1123Label,
  validateDNS1123Subdomain,
  validateEnum,
  validateIP,
  validatePortNumOrName,
  validateQualifiedName,
} from './helpers.js';
import { VOLUME_SOURCES } from '../volume-sources.js';

const MAX_INT32 = 2147483647;
const FILE_MODE_ERROR = 'must be a number between 0 and 0777 (octal), both inclusive';
const SUPPORTED_PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const ENV_FIELD_PATHS = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];
const VOLUME_FIELD_PATHS = [
  'metadata.annotations',
  'metadata.labels',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
];
const CONTAINER_RESOURCE_FIELDS = [
  'limits.cpu',
  'limits.ephemeral-storage',
  'limits.memory',
  'requests.cpu',
  'requests.ephemeral-storage',
  'requests.memory',
];
const HOST_PATH_TYPES = [
  '',
  'BlockDevice',
  'CharDevice',
  'Directory',
  'DirectoryOrCreate',
  'File',
  'FileOrCreate',
  'Socket',
];

// ---------------------------------------------------------------------------------------------
// Volumes

function validatePathNoBacksteps(target: string, path: Path): FieldError[] {
  return target.split('/').includes('..') ? [invalid(path, target, "must not contain '..'")] : [];
}

function validateLocalDescendingPath(target: string, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  if (target.startsWith('/')) errs.push(invalid(path, target, 'must be a relative path'));
  errs.push(...validatePathNoBacksteps(target, path));
  return errs;
}

function validateLocalNonReservedPath(target: string, path: Path): FieldError[] {
  const errs = validateLocalDescendingPath(target, path);
  if (target.startsWith('..')) errs.push(invalid(path, target, "must not start with '..'"));
  return errs;
}

function validateMode(mode: number | undefined, path: Path): FieldError[] {
  if (mode === undefined) return [];
  return mode < 0 || mode > 0o777 ? [invalid(path, mode, FILE_MODE_ERROR)] : [];
}

function validateKeyToPaths(
  items: { key: string; path: string; mode?: number }[] | undefined,
  path: Path,
): FieldError[] {
  const errs: FieldError[] = [];
  (items ?? []).forEach((kp, i) => {
    const p = path.at(i);
    if (!kp.key) errs.push(required(p.child('key'), ''));
    if (!kp.path) errs.push(required(p.child('path'), ''));
    errs.push(...validateLocalNonReservedPath(kp.path ?? '', p.child('path')));
    errs.push(...validateMode(kp.mode, p.child('mode')));
  });
  return errs;
}

function validateObjectName(name: string | undefined, path: Path): FieldError[] {
  if (!name) return [required(path, '')];
  return nameIsDNSSubdomain(name, false).map((m) => invalid(path, name, m));
}

function validateVolumeSource(v: Volume, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  let count = 0;
  for (const source of VOLUME_SOURCES) {
    const value = v[source];
    if (value === undefined || value === null) continue;
    if (count > 0) {
      errs.push(forbidden(path.child(source), 'may not specify more than 1 volume type'));
      continue;
    }
    count++;
    const p = path.child(source);
    switch (source) {
      case 'hostPath': {
        const hp = v.hostPath!;
        if (!hp.path) errs.push(required(p.child('path'), ''));
        errs.push(...validatePathNoBacksteps(hp.path ?? '', p.child('path')));
        if (hp.type !== undefined && !HOST_PATH_TYPES.includes(hp.type)) {
          errs.push(notSupported(p.child('type'), hp.type, HOST_PATH_TYPES));
        }
        break;
      }
      case 'emptyDir': {
        const size = v.emptyDir!.sizeLimit;
        if (size !== undefined) {
          const q = parseQuantity(size, p.child('sizeLimit'));
          if (!(q instanceof Quantity)) errs.push(q);
          else if (q.sign() < 0) {
            errs.push(
              forbidden(p.child('sizeLimit'), 'SizeLimit field must be a valid resource quantity'),
            );
          }
        }
        break;
      }
      case 'secret': {
        const s = v.secret!;
        if (!s.secretName) errs.push(required(p.child('secretName'), ''));
        else errs.push(...validateObjectName(s.secretName, p.child('secretName')));
        errs.push(...validateMode(s.defaultMode, p.child('defaultMode')));
        errs.push(...validateKeyToPaths(s.items, p.child('items')));
        break;
      }
      case 'configMap': {
        const c = v.configMap!;
        errs.push(...validateObjectName(c.name, p.child('name')));
        errs.push(...validateMode(c.defaultMode, p.child('defaultMode')));
        errs.push(...validateKeyToPaths(c.items, p.child('items')));
        break;
      }
      case 'persistentVolumeClaim':
        if (!v.persistentVolumeClaim!.claimName) errs.push(required(p.child('claimName'), ''));
        break;
      case 'downwardAPI': {
        const d = v.downwardAPI!;
        errs.push(...validateMode(d.defaultMode, p.child('defaultMode')));
        (d.items ?? []).forEach((item, i) => {
          const ip = p.child('items').at(i);
          if (!item.path) errs.push(required(ip.child('path'), ''));
          errs.push(...validateLocalNonReservedPath(item.path ?? '', ip.child('path')));
          errs.push(...validateMode(item.mode, ip.child('mode')));
          if (item.fieldRef) {
            errs.push(
              ...validateObjectFieldSelector(
                item.fieldRef,
                VOLUME_FIELD_PATHS,
                ip.child('fieldRef'),
              ),
            );
          }
        });
        break;
      }
      case 'projected': {
        const pr = v.projected!;
        errs.push(...validateMode(pr.defaultMode, p.child('defaultMode')));
        (pr.sources ?? []).forEach((src, i) => {
          const sp = p.child('sources').at(i);
          const kinds = Object.keys(src).filter((k) => src[k as keyof typeof src] !== undefined);
          if (kinds.length > 1) {
            errs.push(
              forbidden(sp.child(kinds[1]!), 'may not specify more than 1 volume type per source'),
            );
          }
          if (src.serviceAccountToken) {
            const t = src.serviceAccountToken;
            if (!t.path) errs.push(required(sp.child('serviceAccountToken', 'path'), ''));
            if ((t.expirationSeconds ?? 3600) < 600) {
              errs.push(
                invalid(
                  sp.child('serviceAccountToken', 'expirationSeconds'),
                  t.expirationSeconds,
                  'may not specify a duration less than 10 minutes',
                ),
              );
            }
          }
          if (src.secret)
            errs.push(...validateKeyToPaths(src.secret.items, sp.child('secret', 'items')));
          if (src.configMap) {
            errs.push(...validateKeyToPaths(src.configMap.items, sp.child('configMap', 'items')));
          }
        });
        break;
      }
      case 'nfs':
        if (!v.nfs!.server) errs.push(required(p.child('server'), ''));
        if (!v.nfs!.path) errs.push(required(p.child('path'), ''));
        else if (!v.nfs!.path.startsWith('/')) {
          errs.push(invalid(p.child('path'), v.nfs!.path, 'must be an absolute path'));
        }
        break;
      case 'csi':
        if (!v.csi!.driver) errs.push(required(p.child('driver'), ''));
        break;
      case 'ephemeral':
        if (!v.ephemeral!.volumeClaimTemplate) {
          errs.push(required(p.child('volumeClaimTemplate'), ''));
        }
        break;
      case 'image':
        if (!v.image!.reference) errs.push(required(p.child('reference'), ''));
        break;
    }
  }
  if (count === 0) errs.push(required(path, 'must specify a volume type'));
  return errs;
}

/** ValidateVolumes: returns the names of the valid volumes (for volumeMounts) and the errors. */
export function validateVolumes(
  volumes: Volume[] | undefined,
  path: Path,
): { names: Set<string>; errors: FieldError[] } {
  const names = new Set<string>();
  const errors: FieldError[] = [];
  (volumes ?? []).forEach((v, i) => {
    const p = path.at(i);
    const namePath = p.child('name');
    const el = validateVolumeSource(v, p);
    if (!v.name) el.push(required(namePath, ''));
    else el.push(...validateDNS1123Label(v.name, namePath));
    if (names.has(v.name)) el.push(duplicate(namePath, v.name));
    if (el.length === 0) names.add(v.name);
    else errors.push(...el);
  });
  return { names, errors };
}

// ---------------------------------------------------------------------------------------------
// Containers

function validateObjectFieldSelector(
  fs: { apiVersion?: string; fieldPath?: string },
  allowed: readonly string[],
  path: Path,
): FieldError[] {
  if (!fs.apiVersion) return [required(path.child('apiVersion'), '')];
  if (!fs.fieldPath) return [required(path.child('fieldPath'), '')];
  const m = /^(metadata\.(?:labels|annotations))\['(.*)'\]$/.exec(fs.fieldPath);
  if (m) {
    if (!allowed.includes('metadata.labels') && !allowed.includes(m[1]!)) {
      return [invalid(path, m[1], 'does not support subscript')];
    }
    const key = m[1] === 'metadata.annotations' ? m[2]!.toLowerCase() : m[2]!;
    return validateQualifiedName(key, path);
  }
  if (fs.fieldPath.includes('[')) {
    return [
      invalid(path, fs.fieldPath.slice(0, fs.fieldPath.indexOf('[')), 'does not support subscript'),
    ];
  }
  return allowed.includes(fs.fieldPath)
    ? []
    : [notSupported(path.child('fieldPath'), fs.fieldPath, allowed)];
}

function validateKeySelector(s: { name?: string; key?: string }, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  for (const m of nameIsDNSSubdomain(s.name ?? '', false)) {
    errs.push(invalid(path.child('name'), s.name ?? '', m));
  }
  if (!s.key) errs.push(required(path.child('key'), ''));
  else for (const m of isConfigMapKey(s.key)) errs.push(invalid(path.child('key'), s.key, m));
  return errs;
}

export function validateEnv(env: EnvVar[] | undefined, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  (env ?? []).forEach((ev, i) => {
    const p = path.at(i);
    if (!ev.name) errs.push(required(p.child('name'), ''));
    else for (const m of isEnvVarName(ev.name)) errs.push(invalid(p.child('name'), ev.name, m));
    const vf = ev.valueFrom;
    if (!vf) return;
    const vp = p.child('valueFrom');
    let sources = 0;
    if (vf.fieldRef) {
      sources++;
      errs.push(...validateObjectFieldSelector(vf.fieldRef, ENV_FIELD_PATHS, vp.child('fieldRef')));
    }
    if (vf.resourceFieldRef) {
      sources++;
      const r = vf.resourceFieldRef;
      const rp = vp.child('resourceFieldRef');
      if (!r.resource) errs.push(required(rp.child('resource'), ''));
      else if (!CONTAINER_RESOURCE_FIELDS.includes(r.resource)) {
        errs.push(notSupported(rp.child('resource'), r.resource, CONTAINER_RESOURCE_FIELDS));
      }
    }
    if (vf.configMapKeyRef) {
      sources++;
      errs.push(...validateKeySelector(vf.configMapKeyRef, vp.child('configMapKeyRef')));
    }
    if (vf.secretKeyRef) {
      sources++;
      errs.push(...validateKeySelector(vf.secretKeyRef, vp.child('secretKeyRef')));
    }
    if (sources === 0) {
      errs.push(
        invalid(
          vp,
          '',
          'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
        ),
      );
    } else if (ev.value) {
      errs.push(invalid(vp, '', 'may not be specified when `value` is not empty'));
    } else if (sources > 1) {
      errs.push(invalid(vp, '', 'may not have more than one field specified at a time'));
    }
  });
  return errs;
}

export function validateEnvFrom(envFrom: EnvFromSource[] | undefined, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  (envFrom ?? []).forEach((ef, i) => {
    const p = path.at(i);
    if (ef.prefix)
      for (const m of isEnvVarName(ef.prefix)) errs.push(invalid(p.child('prefix'), ef.prefix, m));
    let sources = 0;
    if (ef.configMapRef) {
      sources++;
      for (const m of nameIsDNSSubdomain(ef.configMapRef.name ?? '', false)) {
        errs.push(invalid(p.child('configMapRef', 'name'), ef.configMapRef.name ?? '', m));
      }
    }
    if (ef.secretRef) {
      sources++;
      for (const m of nameIsDNSSubdomain(ef.secretRef.name ?? '', false)) {
        errs.push(invalid(p.child('secretRef', 'name'), ef.secretRef.name ?? '', m));
      }
    }
    if (sources === 0) {
      errs.push(invalid(path, '', 'must specify one of: `configMapRef` or `secretRef`'));
    } else if (sources > 1) {
      errs.push(invalid(path, '', 'may not have more than one field specified at a time'));
    }
  });
  return errs;
}

function validateVolumeMounts(
  mounts: VolumeMount[] | undefined,
  volumes: Set<string>,
  path: Path,
): FieldError[] {
  const errs: FieldError[] = [];
  const mountPoints = new Set<string>();
  (mounts ?? []).forEach((m, i) => {
    const p = path.at(i);
    if (!m.name) errs.push(required(p.child('name'), ''));
    if (!volumes.has(m.name)) errs.push(notFound(p.child('name'), m.name));
    if (!m.mountPath) errs.push(required(p.child('mountPath'), ''));
    if (mountPoints.has(m.mountPath))
      errs.push(invalid(p.child('mountPath'), m.mountPath, 'must be unique'));
    mountPoints.add(m.mountPath);
    // Upstream reports subPath problems on the list path, without the index; kept identical.
    if (m.subPath) errs.push(...validateLocalDescendingPath(m.subPath, path.child('subPath')));
    if (m.subPathExpr) {
      if (m.subPath) {
        errs.push(
          invalid(
            p.child('subPathExpr'),
            m.subPathExpr,
            'subPathExpr and subPath are mutually exclusive',
          ),
        );
      }
      errs.push(...validateLocalDescendingPath(m.subPathExpr, path.child('subPathExpr')));
    }
    if (m.mountPropagation !== undefined) {
      errs.push(
        ...validateEnum(
          m.mountPropagation,
          ['Bidirectional', 'HostToContainer', 'None'],
          p.child('mountPropagation'),
        ),
      );
    }
  });
  return errs;
}

function validateContainerPorts(ports: Container['ports'], path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  (ports ?? []).forEach((port, i) => {
    const p = path.at(i);
    if (port.name) {
      const msgs = isValidPortName(port.name);
      if (msgs.length > 0) for (const m of msgs) errs.push(invalid(p.child('name'), port.name, m));
      else if (names.has(port.name)) errs.push(duplicate(p.child('name'), port.name));
      else names.add(port.name);
    }
    if (!port.containerPort) errs.push(required(p.child('containerPort'), ''));
    else
      for (const m of isValidPortNum(port.containerPort))
        errs.push(invalid(p.child('containerPort'), port.containerPort, m));
    if (port.hostPort)
      for (const m of isValidPortNum(port.hostPort))
        errs.push(invalid(p.child('hostPort'), port.hostPort, m));
    if (!port.protocol) errs.push(required(p.child('protocol'), ''));
    else if (!SUPPORTED_PROTOCOLS.includes(port.protocol)) {
      errs.push(notSupported(p.child('protocol'), port.protocol, SUPPORTED_PROTOCOLS));
    }
  });
  return errs;
}

/** True when requests may be below limits (everything but hugepages and extended resources). */
function isOvercommitAllowed(name: string): boolean {
  return !name.startsWith('hugepages-') && !isExtendedResourceName(name);
}

export function validateResourceRequirements(
  r: ResourceRequirements | undefined,
  path: Path,
): FieldError[] {
  const errs: FieldError[] = [];
  if (!r) return errs;
  const limPath = path.child('limits');
  const reqPath = path.child('requests');
  const limits = new Map<string, Quantity>();
  for (const name of Object.keys(r.limits ?? {}).sort()) {
    const p = limPath.key(name);
    errs.push(...validateContainerResourceName(name, p));
    const q = parseQuantity(r.limits![name], p);
    if (!(q instanceof Quantity)) {
      errs.push(q);
      continue;
    }
    errs.push(...validateQuantityValue(name, q, p));
    limits.set(name, q);
  }
  for (const name of Object.keys(r.requests ?? {}).sort()) {
    const p = reqPath.key(name);
    errs.push(...validateContainerResourceName(name, p));
    const q = parseQuantity(r.requests![name], p);
    if (!(q instanceof Quantity)) {
      errs.push(q);
      continue;
    }
    errs.push(...validateQuantityValue(name, q, p));
    const limit = limits.get(name);
    if (limit) {
      if (q.cmp(limit) !== 0 && !isOvercommitAllowed(name)) {
        errs.push(
          invalid(reqPath, q.toString(), `must be equal to ${name} limit of ${limit.toString()}`),
        );
      } else if (q.cmp(limit) > 0) {
        errs.push(
          invalid(
            reqPath,
            q.toString(),
            `must be less than or equal to ${name} limit of ${limit.toString()}`,
          ),
        );
      }
    } else if (!isOvercommitAllowed(name)) {
      errs.push(required(limPath, 'Limit must be set for non overcommitable resources'));
    }
  }
  return errs;
}

function validateQuantityValue(name: string, q: Quantity, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  if (q.sign() < 0) errs.push(invalid(path, q.toString(), 'must be greater than or equal to 0'));
  if (isExtendedResourceName(name) && q.milliValue() % 1000n !== 0n) {
    errs.push(invalid(path, q.toString(), 'must be an integer'));
  }
  return errs;
}

function validateHTTPGet(h: HTTPGetAction, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  if (!h.path) errs.push(required(path.child('path'), ''));
  errs.push(...validatePortNumOrName(h.port, path.child('port')));
  if (!['HTTP', 'HTTPS'].includes(h.scheme ?? '')) {
    errs.push(notSupported(path.child('scheme'), h.scheme ?? '', ['HTTP', 'HTTPS']));
  }
  (h.httpHeaders ?? []).forEach((hd, i) => {
    if (!/^[-!#$%&'*+.^_`|~0-9A-Za-z]+$/.test(hd.name ?? '')) {
      errs.push(
        invalid(
          path.child('httpHeaders').at(i).child('name'),
          hd.name ?? '',
          "a valid HTTP header must consist of alphanumeric characters or '-'",
        ),
      );
    }
  });
  return errs;
}

type Handler = {
  exec?: { command?: string[] };
  httpGet?: HTTPGetAction;
  tcpSocket?: { port: number | string };
  grpc?: { port: number };
  sleep?: { seconds: number };
};

function validateHandler(h: Handler, path: Path, gracePeriod: number | undefined): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  const once = (name: string, check: () => FieldError[]): void => {
    if (n > 0) {
      errs.push(forbidden(path.child(name), 'may not specify more than 1 handler type'));
      return;
    }
    n++;
    errs.push(...check());
  };
  if (h.exec)
    once('exec', () =>
      (h.exec!.command ?? []).length === 0 ? [required(path.child('exec', 'command'), '')] : [],
    );
  if (h.httpGet) once('httpGet', () => validateHTTPGet(h.httpGet!, path.child('httpGet')));
  if (h.tcpSocket)
    once('tcpSocket', () =>
      validatePortNumOrName(h.tcpSocket!.port, path.child('tcpSocket', 'port')),
    );
  if (h.grpc)
    once('grpc', () =>
      isValidPortNum(h.grpc!.port).map((m) => invalid(path.child('grpc', 'port'), h.grpc!.port, m)),
    );
  if (h.sleep) {
    once('sleep', () => {
      const s = h.sleep!.seconds;
      const max = gracePeriod ?? 30;
      return s <= 0 || s > max
        ? [
            invalid(
              path.child('sleep', 'seconds'),
              s,
              `must be greater than 0 and less than terminationGracePeriodSeconds (${max}). Enable AllowPodLifecycleSleepActionZeroValue feature gate for zero sleep.`,
            ),
          ]
        : [];
    });
  }
  if (n === 0) errs.push(required(path, 'must specify a handler type'));
  return errs;
}

function validateProbe(
  probe: Probe | undefined,
  path: Path,
  kind: 'liveness' | 'readiness' | 'startup',
  gracePeriod: number | undefined,
): FieldError[] {
  if (!probe) return [];
  const errs = validateHandler(probe, path, gracePeriod);
  const nonNeg = (v: number | undefined, field: string): void => {
    if ((v ?? 0) < 0)
      errs.push(invalid(path.child(field), v, 'must be greater than or equal to 0'));
  };
  nonNeg(probe.initialDelaySeconds, 'initialDelaySeconds');
  nonNeg(probe.timeoutSeconds, 'timeoutSeconds');
  nonNeg(probe.periodSeconds, 'periodSeconds');
  nonNeg(probe.successThreshold, 'successThreshold');
  nonNeg(probe.failureThreshold, 'failureThreshold');
  if (
    probe.terminationGracePeriodSeconds !== undefined &&
    probe.terminationGracePeriodSeconds <= 0
  ) {
    errs.push(
      invalid(
        path.child('terminationGracePeriodSeconds'),
        probe.terminationGracePeriodSeconds,
        'must be greater than 0',
      ),
    );
  }
  if (
    kind !== 'readiness' &&
    probe.successThreshold !== undefined &&
    probe.successThreshold !== 1
  ) {
    errs.push(invalid(path.child('successThreshold'), probe.successThreshold, 'must be 1'));
  }
  if (kind === 'readiness' && probe.terminationGracePeriodSeconds !== undefined) {
    errs.push(
      invalid(
        path.child('terminationGracePeriodSeconds'),
        probe.terminationGracePeriodSeconds,
        'must not be set for readinessProbes',
      ),
    );
  }
  return errs;
}

function securityContextLiteral(sc: SecurityContext): GoLiteral {
  const parts: string[] = [];
  if (sc.privileged !== undefined) parts.push(`Privileged:(*bool)(${sc.privileged})`);
  if (sc.allowPrivilegeEscalation !== undefined) {
    parts.push(`AllowPrivilegeEscalation:(*bool)(${sc.allowPrivilegeEscalation})`);
  }
  return new GoLiteral(`&core.SecurityContext{${parts.join(', ')}}`);
}

const validID = (v: number): string[] =>
  Number.isInteger(v) && v >= 0 && v <= MAX_INT32 ? [] : [inclusiveRangeError(0, MAX_INT32)];

export function validateSecurityContext(sc: SecurityContext | undefined, path: Path): FieldError[] {
  if (!sc) return [];
  const errs: FieldError[] = [];
  if (sc.runAsUser !== undefined)
    for (const m of validID(sc.runAsUser))
      errs.push(invalid(path.child('runAsUser'), sc.runAsUser, m));
  if (sc.runAsGroup !== undefined)
    for (const m of validID(sc.runAsGroup))
      errs.push(invalid(path.child('runAsGroup'), sc.runAsGroup, m));
  if (sc.procMount !== undefined)
    errs.push(...validateEnum(sc.procMount, ['Default', 'Unmasked'], path.child('procMount')));
  if (sc.seccompProfile) {
    errs.push(
      ...validateEnum(
        sc.seccompProfile.type,
        ['Localhost', 'RuntimeDefault', 'Unconfined'],
        path.child('seccompProfile', 'type'),
      ),
    );
  }
  if (sc.allowPrivilegeEscalation === false) {
    if (sc.privileged === true) {
      errs.push(
        invalid(
          path,
          securityContextLiteral(sc),
          'cannot set `allowPrivilegeEscalation` to false and `privileged` to true',
        ),
      );
    }
    if ((sc.capabilities?.add ?? []).includes('CAP_SYS_ADMIN')) {
      errs.push(
        invalid(
          path,
          securityContextLiteral(sc),
          'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN',
        ),
      );
    }
  }
  return errs;
}

function validateContainerCommon(c: Container, volumes: Set<string>, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const namePath = path.child('name');
  if (!c.name) errs.push(required(namePath, ''));
  else errs.push(...validateDNS1123Label(c.name, namePath));
  if (!c.image) errs.push(required(path.child('image'), ''));
  else if (c.image !== c.image.trim()) {
    errs.push(
      invalid(path.child('image'), c.image, 'must not have leading or trailing whitespace'),
    );
  }
  errs.push(
    ...validateEnum(
      c.terminationMessagePolicy,
      ['File', 'FallbackToLogsOnError'],
      path.child('terminationMessagePolicy'),
    ),
  );
  errs.push(...validateContainerPorts(c.ports, path.child('ports')));
  errs.push(...validateEnv(c.env, path.child('env')));
  errs.push(...validateEnvFrom(c.envFrom, path.child('envFrom')));
  errs.push(...validateVolumeMounts(c.volumeMounts, volumes, path.child('volumeMounts')));
  errs.push(...validateEnum(c.imagePullPolicy, PULL_POLICIES, path.child('imagePullPolicy')));
  errs.push(...validateResourceRequirements(c.resources, path.child('resources')));
  errs.push(...validateSecurityContext(c.securityContext, path.child('securityContext')));
  return errs;
}

function validateLifecycle(
  c: Container,
  path: Path,
  gracePeriod: number | undefined,
): FieldError[] {
  const errs: FieldError[] = [];
  if (c.lifecycle?.postStart)
    errs.push(...validateHandler(c.lifecycle.postStart, path.child('postStart'), gracePeriod));
  if (c.lifecycle?.preStop)
    errs.push(...validateHandler(c.lifecycle.preStop, path.child('preStop'), gracePeriod));
  return errs;
}

/** Host ports must be unique per protocol across all containers of a pod. */
function accumulateUniqueHostPorts(
  containers: Container[],
  seen: Set<string>,
  path: Path,
): FieldError[] {
  const errs: FieldError[] = [];
  containers.forEach((c, ci) => {
    (c.ports ?? []).forEach((port, pi) => {
      if (!port.hostPort) return;
      const key = `${port.hostPort}/${port.protocol ?? ''}`;
      if (seen.has(key))
        errs.push(duplicate(path.at(ci).child('ports').at(pi).child('hostPort'), key));
      else seen.add(key);
    });
  });
  return errs;
}

function validateContainers(spec: PodSpec, volumes: Set<string>, path: Path): FieldError[] {
  const containers = spec.containers ?? [];
  if (containers.length === 0) return [required(path, '')];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  const grace = spec.terminationGracePeriodSeconds;
  containers.forEach((c, i) => {
    const p = path.at(i);
    errs.push(...validateContainerCommon(c, volumes, p));
    if (names.has(c.name)) errs.push(duplicate(p.child('name'), c.name));
    else names.add(c.name);
    errs.push(...validateLifecycle(c, p.child('lifecycle'), grace));
    errs.push(...validateProbe(c.livenessProbe, p.child('livenessProbe'), 'liveness', grace));
    errs.push(...validateProbe(c.readinessProbe, p.child('readinessProbe'), 'readiness', grace));
    errs.push(...validateProbe(c.startupProbe, p.child('startupProbe'), 'startup', grace));
    if (c.restartPolicy !== undefined) {
      errs.push(forbidden(p.child('restartPolicy'), 'may not be set for non-init containers'));
    }
  });
  errs.push(...accumulateUniqueHostPorts(containers, new Set(), path));
  return errs;
}

function validateInitContainers(spec: PodSpec, volumes: Set<string>, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const others = new Set((spec.containers ?? []).map((c) => c.name));
  const names = new Set<string>();
  const grace = spec.terminationGracePeriodSeconds;
  (spec.initContainers ?? []).forEach((c, i) => {
    const p = path.at(i);
    errs.push(...validateContainerCommon(c, volumes, p));
    if (names.has(c.name) || others.has(c.name)) errs.push(duplicate(p.child('name'), c.name));
    else names.add(c.name);
    const sidecar = c.restartPolicy === 'Always';
    if (c.restartPolicy !== undefined && !sidecar) {
      errs.push(notSupported(p.child('restartPolicy'), c.restartPolicy, ['Always']));
    }
    if (sidecar) {
      errs.push(...validateLifecycle(c, p.child('lifecycle'), grace));
      errs.push(...validateProbe(c.livenessProbe, p.child('livenessProbe'), 'liveness', grace));
      errs.push(...validateProbe(c.readinessProbe, p.child('readinessProbe'), 'readiness', grace));
      errs.push(...validateProbe(c.startupProbe, p.child('startupProbe'), 'startup', grace));
    } else {
      if (c.lifecycle)
        errs.push(
          forbidden(
            p.child('lifecycle'),
            'may not be set for init containers without restartPolicy=Always',
          ),
        );
      if (c.livenessProbe)
        errs.push(
          forbidden(
            p.child('livenessProbe'),
            'may not be set for init containers without restartPolicy=Always',
          ),
        );
      if (c.readinessProbe)
        errs.push(
          forbidden(
            p.child('readinessProbe'),
            'may not be set for init containers without restartPolicy=Always',
          ),
        );
      if (c.startupProbe)
        errs.push(
          forbidden(
            p.child('startupProbe'),
            'may not be set for init containers without restartPolicy=Always',
          ),
        );
    }
  });
  errs.push(...accumulateUniqueHostPorts(spec.initContainers ?? [], new Set(), path));
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Scheduling constraints

export function validateTolerations(
  tolerations: Toleration[] | undefined,
  path: Path,
): FieldError[] {
  const errs: FieldError[] = [];
  (tolerations ?? []).forEach((t, i) => {
    const p = path.at(i);
    if (t.key) errs.push(...validateLabelName(t.key, p.child('key')));
    if (!t.key && t.operator !== 'Exists') {
      errs.push(
        invalid(
          p.child('operator'),
          t.operator ?? '',
          'operator must be Exists when `key` is empty, which means "match all values and all keys"',
        ),
      );
    }
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
      errs.push(
        invalid(
          p.child('effect'),
          t.effect ?? '',
          "effect must be 'NoExecute' when `tolerationSeconds` is set",
        ),
      );
    }
    switch (t.operator ?? '') {
      case 'Equal':
      case '': {
        const msgs = isValidLabelValue(t.value ?? '');
        if (msgs.length > 0) errs.push(invalid(p.child('operator'), t.value, msgs.join(';')));
        break;
      }
      case 'Exists':
        if (t.value) {
          errs.push(
            invalid(
              p.child('operator'),
              new GoLiteral(
                `core.Toleration{Key:"${t.key ?? ''}", Operator:"Exists", Value:"${t.value}", Effect:"${t.effect ?? ''}", TolerationSeconds:(*int64)(nil)}`,
              ),
              "value must be empty when `operator` is 'Exists'",
            ),
          );
        }
        break;
      default:
        errs.push(notSupported(p.child('operator'), t.operator, ['Equal', 'Exists']));
    }
    if (t.effect) errs.push(...validateEnum(t.effect, TAINT_EFFECTS, p.child('effect')));
  });
  return errs;
}

function validateNodeSelectorRequirement(rq: NodeSelectorRequirement, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const n = rq.values?.length ?? 0;
  switch (rq.operator) {
    case 'In':
    case 'NotIn':
      if (n === 0)
        errs.push(
          required(path.child('values'), "must be specified when `operator` is 'In' or 'NotIn'"),
        );
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (n > 0)
        errs.push(
          forbidden(
            path.child('values'),
            "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
          ),
        );
      break;
    case 'Gt':
    case 'Lt':
      if (n !== 1)
        errs.push(
          required(
            path.child('values'),
            "must be specified single value when `operator` is 'Lt' or 'Gt'",
          ),
        );
      break;
    default:
      errs.push(
        invalid(path.child('operator'), rq.operator ?? '', 'not a valid selector operator'),
      );
  }
  errs.push(...validateLabelName(rq.key ?? '', path.child('key')));
  return errs;
}

function validateNodeSelectorTerm(term: NodeSelectorTerm, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  (term.matchExpressions ?? []).forEach((r, i) =>
    errs.push(...validateNodeSelectorRequirement(r, path.child('matchExpressions').at(i))),
  );
  (term.matchFields ?? []).forEach((r, i) => {
    const p = path.child('matchFields').at(i);
    if (r.key !== 'metadata.name')
      errs.push(invalid(p.child('key'), r.key, 'not a valid field selector key'));
    if ((r.operator === 'In' || r.operator === 'NotIn') && (r.values?.length ?? 0) !== 1) {
      errs.push(
        required(
          p.child('values'),
          "must be only one value when `operator` is 'In' or 'NotIn' for node field selector",
        ),
      );
    }
  });
  return errs;
}

function validatePodAffinityTerm(term: PodAffinityTerm, path: Path): FieldError[] {
  const errs = validateLabelSelector(term.labelSelector, {}, path.child('labelSelector'));
  errs.push(...validateLabelSelector(term.namespaceSelector, {}, path.child('namespaceSelector')));
  for (const ns of term.namespaces ?? []) {
    for (const m of validateNamespaceName(ns, false))
      errs.push(invalid(path.child('namespace'), ns, m));
  }
  if (!term.topologyKey) errs.push(required(path.child('topologyKey'), 'can not be empty'));
  errs.push(...validateLabelName(term.topologyKey ?? '', path.child('topologyKey')));
  return errs;
}

function validateAffinity(a: Affinity | undefined, path: Path): FieldError[] {
  if (!a) return [];
  const errs: FieldError[] = [];
  const na = a.nodeAffinity;
  if (na) {
    const np = path.child('nodeAffinity');
    const req = na.requiredDuringSchedulingIgnoredDuringExecution;
    if (req) {
      const rp = np.child('requiredDuringSchedulingIgnoredDuringExecution');
      const terms = req.nodeSelectorTerms ?? [];
      if (terms.length === 0)
        errs.push(
          required(rp.child('nodeSelectorTerms'), 'must have at least one node selector term'),
        );
      terms.forEach((t, i) =>
        errs.push(...validateNodeSelectorTerm(t, rp.child('nodeSelectorTerms').at(i))),
      );
    }
    (na.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) => {
      const p = np.child('preferredDuringSchedulingIgnoredDuringExecution').at(i);
      if (t.weight <= 0 || t.weight > 100)
        errs.push(invalid(p.child('weight'), t.weight, 'must be in the range 1-100'));
      errs.push(...validateNodeSelectorTerm(t.preference ?? {}, p.child('preference')));
    });
  }
  for (const key of ['podAffinity', 'podAntiAffinity'] as const) {
    const pa = a[key];
    if (!pa) continue;
    const pp = path.child(key);
    (pa.requiredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) =>
      errs.push(
        ...validatePodAffinityTerm(
          t,
          pp.child('requiredDuringSchedulingIgnoredDuringExecution').at(i),
        ),
      ),
    );
    (pa.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) => {
      const p = pp.child('preferredDuringSchedulingIgnoredDuringExecution').at(i);
      if (t.weight <= 0 || t.weight > 100)
        errs.push(invalid(p.child('weight'), t.weight, 'must be in the range 1-100'));
      errs.push(
        ...validatePodAffinityTerm(
          t.podAffinityTerm ?? { topologyKey: '' },
          p.child('podAffinityTerm'),
        ),
      );
    });
  }
  return errs;
}

function validateTopologySpreadConstraints(
  cs: TopologySpreadConstraint[] | undefined,
  path: Path,
): FieldError[] {
  const errs: FieldError[] = [];
  const list = cs ?? [];
  list.forEach((c, i) => {
    const p = path.at(i);
    if (!(c.maxSkew > 0))
      errs.push(invalid(p.child('maxSkew'), c.maxSkew, 'must be greater than zero'));
    if (!c.topologyKey) errs.push(required(p.child('topologyKey'), 'can not be empty'));
    errs.push(
      ...validateEnum(
        c.whenUnsatisfiable,
        ['DoNotSchedule', 'ScheduleAnyway'],
        p.child('whenUnsatisfiable'),
      ),
    );
    const dup = list
      .slice(i + 1)
      .some((o) => o.topologyKey === c.topologyKey && o.whenUnsatisfiable === c.whenUnsatisfiable);
    if (dup)
      errs.push(
        duplicate(
          p.child('{topologyKey, whenUnsatisfiable}'),
          `{${c.topologyKey}, ${c.whenUnsatisfiable}}`,
        ),
      );
    if (c.minDomains !== undefined) {
      if (c.minDomains <= 0)
        errs.push(invalid(p.child('minDomains'), c.minDomains, 'must be greater than 0'));
      if (c.whenUnsatisfiable !== 'DoNotSchedule') {
        errs.push(
          invalid(
            p.child('minDomains'),
            c.minDomains,
            `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${c.whenUnsatisfiable}`,
          ),
        );
      }
    }
    errs.push(...validateLabelSelector(c.labelSelector, {}, p.child('labelSelector')));
    if (c.nodeAffinityPolicy !== undefined)
      errs.push(
        ...validateEnum(c.nodeAffinityPolicy, ['Honor', 'Ignore'], p.child('nodeAffinityPolicy')),
      );
    if (c.nodeTaintsPolicy !== undefined)
      errs.push(
        ...validateEnum(c.nodeTaintsPolicy, ['Honor', 'Ignore'], p.child('nodeTaintsPolicy')),
      );
  });
  return errs;
}

function validatePodSecurityContext(sc: PodSecurityContext | undefined, path: Path): FieldError[] {
  if (!sc) return [];
  const errs: FieldError[] = [];
  for (const f of ['runAsUser', 'runAsGroup', 'fsGroup'] as const) {
    const v = sc[f];
    if (v !== undefined) for (const m of validID(v)) errs.push(invalid(path.child(f), v, m));
  }
  (sc.supplementalGroups ?? []).forEach((g, i) => {
    for (const m of validID(g)) errs.push(invalid(path.child('supplementalGroups').at(i), g, m));
  });
  if (sc.fsGroupChangePolicy !== undefined) {
    errs.push(
      ...validateEnum(
        sc.fsGroupChangePolicy,
        ['OnRootMismatch', 'Always'],
        path.child('fsGroupChangePolicy'),
      ),
    );
  }
  (sc.sysctls ?? []).forEach((s, i) => {
    const p = path.child('sysctls').at(i);
    if (!s.name) errs.push(required(p.child('name'), ''));
    else if (
      !/^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$/.test(s.name)
    ) {
      errs.push(
        invalid(
          p.child('name'),
          s.name,
          'must have at most 253 characters and match regex ^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$',
        ),
      );
    }
  });
  return errs;
}

// ---------------------------------------------------------------------------------------------
// PodSpec

export interface PodSpecValidationOptions {
  /** True when validating a Pod (not a template): hostNetwork port checks apply. */
  resourceIsPod: boolean;
}

/** ValidatePodSpec. */
export function validatePodSpec(
  spec: PodSpec | undefined,
  path: Path,
  options: PodSpecValidationOptions = { resourceIsPod: true },
): FieldError[] {
  if (!spec) return [required(path.child('containers'), '')];
  const { names: volumes, errors: errs } = validateVolumes(spec.volumes, path.child('volumes'));
  errs.push(...validateContainers(spec, volumes, path.child('containers')));
  errs.push(...validateInitContainers(spec, volumes, path.child('initContainers')));
  if (spec.hostNetwork && options.resourceIsPod) {
    (spec.containers ?? []).forEach((c, i) => {
      (c.ports ?? []).forEach((port, j) => {
        if ((port.hostPort ?? 0) !== port.containerPort) {
          errs.push(
            invalid(
              path.child('containers').at(i).child('ports').at(j).child('hostPort'),
              port.hostPort ?? 0,
              'must match `containerPort` when `hostNetwork` is true',
            ),
          );
        }
      });
    });
  }
  errs.push(...validateEnum(spec.restartPolicy, RESTART_POLICIES, path.child('restartPolicy')));
  errs.push(...validateEnum(spec.dnsPolicy, DNS_POLICIES, path.child('dnsPolicy')));
  errs.push(...validateLabels(spec.nodeSelector, path.child('nodeSelector')));
  errs.push(...validatePodSecurityContext(spec.securityContext, path.child('securityContext')));
  (spec.imagePullSecrets ?? []).forEach((s, i) => {
    if (!s.name) errs.push(required(path.child('imagePullSecrets').at(i).child('name'), ''));
  });
  errs.push(...validateAffinity(spec.affinity, path.child('affinity')));
  if (spec.dnsPolicy === 'None' && (spec.dnsConfig?.nameservers ?? []).length === 0) {
    errs.push(
      required(
        path.child('dnsConfig', 'nameservers'),
        'must provide at least one DNS nameserver when `dnsPolicy` is None',
      ),
    );
  }
  (spec.dnsConfig?.nameservers ?? []).forEach((ns, i) =>
    errs.push(...validateIP(ns, path.child('dnsConfig', 'nameservers').at(i))),
  );
  (spec.readinessGates ?? []).forEach((g, i) =>
    errs.push(
      ...validateQualifiedName(
        g.conditionType ?? '',
        path.child('readinessGates').at(i).child('conditionType'),
      ),
    ),
  );
  errs.push(
    ...validateTopologySpreadConstraints(
      spec.topologySpreadConstraints,
      path.child('topologySpreadConstraints'),
    ),
  );
  if (spec.serviceAccountName) {
    for (const m of nameIsDNSSubdomain(spec.serviceAccountName, false)) {
      errs.push(invalid(path.child('serviceAccountName'), spec.serviceAccountName, m));
    }
  }
  if (spec.nodeName) {
    for (const m of nameIsDNSSubdomain(spec.nodeName, false))
      errs.push(invalid(path.child('nodeName'), spec.nodeName, m));
  }
  if (spec.activeDeadlineSeconds !== undefined) {
    const v = spec.activeDeadlineSeconds;
    if (v < 1 || v > MAX_INT32)
      errs.push(invalid(path.child('activeDeadlineSeconds'), v, inclusiveRangeError(1, MAX_INT32)));
  }
  if (spec.hostname) errs.push(...validateDNS1123Label(spec.hostname, path.child('hostname')));
  if (spec.subdomain) errs.push(...validateDNS1123Label(spec.subdomain, path.child('subdomain')));
  errs.push(...validateTolerations(spec.tolerations, path.child('tolerations')));
  (spec.hostAliases ?? []).forEach((h, i) => {
    const p = path.child('hostAliases').at(i);
    errs.push(...validateIP(h.ip ?? '', p.child('ip')));
    (h.hostnames ?? []).forEach((hn, j) =>
      errs.push(...validateDNS1123Subdomain(hn, p.child('hostnames').at(j))),
    );
  });
  if (spec.priorityClassName) {
    for (const m of nameIsDNSSubdomain(spec.priorityClassName, false)) {
      errs.push(invalid(path.child('priorityClassName'), spec.priorityClassName, m));
    }
  }
  if (spec.preemptionPolicy !== undefined) {
    errs.push(
      ...validateEnum(
        spec.preemptionPolicy,
        ['Never', 'PreemptLowerPriority'],
        path.child('preemptionPolicy'),
      ),
    );
  }
  if (spec.schedulerName)
    errs.push(...validateDNS1123Subdomain(spec.schedulerName, path.child('schedulerName')));
  if (spec.terminationGracePeriodSeconds !== undefined && spec.terminationGracePeriodSeconds < 0) {
    // Upstream tolerates negatives for old clients and rewrites them to 1 in the strategy.
  }
  if (spec.os)
    errs.push(...validateEnum(spec.os.name, ['linux', 'windows'], path.child('os', 'name')));
  return errs;
}

/** ValidatePodTemplateSpec: template metadata labels/annotations plus the pod spec. */
export function validatePodTemplateSpec(t: PodTemplateSpec | undefined, path: Path): FieldError[] {
  if (!t) return [required(path, '')];
  const errs = validateLabels(t.metadata?.labels, path.child('metadata', 'labels'));
  errs.push(...validateAnnotationsShallow(t.metadata, path.child('metadata', 'annotations')));
  errs.push(...validatePodSpec(t.spec, path.child('spec'), { resourceIsPod: false }));
  return errs;
}

function validateAnnotationsShallow(meta: ObjectMeta | undefined, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  for (const k of Object.keys(meta?.annotations ?? {}).sort()) {
    errs.push(
      ...validateQualifiedName(k.toLowerCase(), path).map((e) => invalid(path, k, e.detail)),
    );
  }
  return errs;
}

/** ValidatePodCreate. */
export function validatePod(pod: Pod): FieldError[] {
  const errs = validateObjectMeta(pod.metadata ?? {}, {
    requiresNamespace: true,
    nameFn: nameIsDNSSubdomain,
  });
  errs.push(...validatePodSpec(pod.spec, Path.new('spec')));
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Updates

export const POD_UPDATE_FORBIDDEN_MESSAGE =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

function goFieldName(jsonName: string): string {
  const special: Record<string, string> = {
    serviceAccount: 'DeprecatedServiceAccount',
    hostIPC: 'HostIPC',
    hostPID: 'HostPID',
    dnsPolicy: 'DNSPolicy',
    dnsConfig: 'DNSConfig',
  };
  return special[jsonName] ?? jsonName.charAt(0).toUpperCase() + jsonName.slice(1);
}

/**
 * A diff of two pod specs in the spirit of the go-cmp output upstream appends to the forbidden
 * message: one `-`/`+` pair per changed top-level field, values as JSON.
 */
export function podSpecDiff(oldSpec: PodSpec, newSpec: PodSpec): string {
  const keys = [...new Set([...Object.keys(oldSpec), ...Object.keys(newSpec)])].sort();
  const lines = ['  core.PodSpec{'];
  for (const k of keys) {
    const a = (oldSpec as unknown as Record<string, unknown>)[k];
    const b = (newSpec as unknown as Record<string, unknown>)[k];
    if (jsonEqual(a, b)) continue;
    if (a !== undefined) lines.push(`- \t${goFieldName(k)}: ${JSON.stringify(a)},`);
    if (b !== undefined) lines.push(`+ \t${goFieldName(k)}: ${JSON.stringify(b)},`);
  }
  lines.push('  }');
  return lines.join('\n');
}

function tolerationsEqualIgnoringSeconds(a: Toleration, b: Toleration): boolean {
  return (
    (a.key ?? '') === (b.key ?? '') &&
    (a.operator ?? '') === (b.operator ?? '') &&
    (a.value ?? '') === (b.value ?? '') &&
    (a.effect ?? '') === (b.effect ?? '')
  );
}

/** Existing tolerations may only gain tolerationSeconds changes on NoExecute; new ones may be added. */
function validateOnlyAddedTolerations(
  newT: Toleration[] | undefined,
  oldT: Toleration[] | undefined,
  path: Path,
): FieldError[] {
  const errs: FieldError[] = [];
  (oldT ?? []).forEach((old, i) => {
    const found = (newT ?? []).some((n) => {
      if (!tolerationsEqualIgnoringSeconds(n, old)) return false;
      if (old.effect === 'NoExecute' && old.tolerationSeconds !== undefined) {
        return n.tolerationSeconds !== undefined && n.tolerationSeconds <= old.tolerationSeconds;
      }
      return n.tolerationSeconds === old.tolerationSeconds;
    });
    if (!found)
      errs.push(
        forbidden(
          path.at(i),
          'existing toleration can not be modified except its tolerationSeconds',
        ),
      );
  });
  errs.push(...validateTolerations(newT, path));
  return errs;
}

/** ValidatePodUpdate: only images, activeDeadlineSeconds, added tolerations and a few more may change. */
export function validatePodUpdate(newPod: Pod, oldPod: Pod): FieldError[] {
  const specPath = Path.new('spec');
  const errs = validateObjectMetaUpdate(newPod.metadata ?? {}, oldPod.metadata ?? {});
  const newSpec = newPod.spec ?? { containers: [] };
  const oldSpec = oldPod.spec ?? { containers: [] };
  for (const key of ['containers', 'initContainers'] as const) {
    const n = newSpec[key] ?? [];
    const o = oldSpec[key] ?? [];
    if (n.length !== o.length) {
      errs.push(forbidden(specPath.child(key), 'pod updates may not add or remove containers'));
      return errs;
    }
    n.forEach((c, i) => {
      if (!c.image) errs.push(required(specPath.child(key).at(i).child('image'), ''));
    });
  }
  const ads = newSpec.activeDeadlineSeconds;
  if (ads !== undefined) {
    if (ads < 0 || ads > MAX_INT32) {
      errs.push(
        invalid(specPath.child('activeDeadlineSeconds'), ads, inclusiveRangeError(0, MAX_INT32)),
      );
      return errs;
    }
    if (oldSpec.activeDeadlineSeconds !== undefined && oldSpec.activeDeadlineSeconds < ads) {
      errs.push(
        invalid(
          specPath.child('activeDeadlineSeconds'),
          ads,
          'must be less than or equal to previous value',
        ),
      );
      return errs;
    }
  } else if (oldSpec.activeDeadlineSeconds !== undefined) {
    errs.push(
      invalid(
        specPath.child('activeDeadlineSeconds'),
        null,
        'must not update from a positive integer to nil value',
      ),
    );
  }
  errs.push(
    ...validateOnlyAddedTolerations(
      newSpec.tolerations,
      oldSpec.tolerations,
      specPath.child('tolerations'),
    ),
  );
  // Munge: copy what may change from the new spec into the old one, then compare.
  // Shallow copies of what is rewritten (the spec and its containers): the munged spec is only
  // compared, and a deep copy of the whole spec on every pod update cost more than the rest.
  const munged: PodSpec = { ...oldSpec };
  for (const key of ['containers', 'initContainers'] as const) {
    const list = oldSpec[key];
    if (list) munged[key] = list.map((c, i) => ({ ...c, image: newSpec[key]![i]!.image }));
  }
  if (newSpec.activeDeadlineSeconds === undefined) delete munged.activeDeadlineSeconds;
  else munged.activeDeadlineSeconds = newSpec.activeDeadlineSeconds;
  if (newSpec.tolerations === undefined) delete munged.tolerations;
  else munged.tolerations = newSpec.tolerations;
  if (
    (oldSpec.terminationGracePeriodSeconds ?? 0) < 0 &&
    newSpec.terminationGracePeriodSeconds === 1
  ) {
    munged.terminationGracePeriodSeconds = 1;
  }
  if (!jsonEqual(munged, newSpec)) {
    errs.push(
      forbidden(specPath, `${POD_UPDATE_FORBIDDEN_MESSAGE}\n${podSpecDiff(oldSpec, newSpec)}`),
    );
  }
  return errs;
}

/** ValidatePodStatusUpdate: metadata, conditions, IPs; spec.nodeName may not change here. */
export function validatePodStatusUpdate(newPod: Pod, oldPod: Pod): FieldError[] {
  const errs = validateObjectMetaUpdate(newPod.metadata ?? {}, oldPod.metadata ?? {});
  const status = newPod.status ?? {};
  const sp = Path.new('status');
  (status.conditions ?? []).forEach((c, i) => {
    const p = sp.child('conditions').at(i);
    errs.push(...validateQualifiedName(c.type ?? '', p.child('type')));
    errs.push(...validateEnum(c.status, ['True', 'False', 'Unknown'], p.child('status')));
  });
  if ((newPod.spec?.nodeName ?? '') !== (oldPod.spec?.nodeName ?? '')) {
    errs.push(forbidden(sp.child('nodeName'), 'may not be changed directly'));
  }
  const nominated = status.nominatedNodeName;
  if (nominated && nominated !== oldPod.status?.nominatedNodeName) {
    for (const m of nameIsDNSSubdomain(nominated, false))
      errs.push(invalid(sp.child('nominatedNodeName'), nominated, m));
  }
  for (const [list, single, name] of [
    [status.podIPs, status.podIP, 'podIPs'],
    [status.hostIPs, status.hostIP, 'hostIPs'],
  ] as const) {
    const ips = list ?? [];
    const p = sp.child(name);
    if (single && ips.length > 0 && ips[0]!.ip !== single) {
      errs.push(
        invalid(
          p.at(0).child('ip'),
          ips[0]!.ip,
          `must be equal to ${name === 'podIPs' ? 'podIP' : 'hostIP'}`,
        ),
      );
    }
    if (ips.length > 2) errs.push(tooMany(p, ips.length, 2));
    const seen = new Set<string>();
    ips.forEach((ip, i) => {
      errs.push(...validateIP(ip.ip ?? '', p.at(i).child('ip')));
      if (seen.has(ip.ip)) errs.push(duplicate(p.at(i).child('ip'), ip.ip));
      seen.add(ip.ip);
    });
  }
  // A pod that must not restart may not bring a terminated container back.
  if (oldPod.spec?.restartPolicy === 'Never' || oldPod.spec?.restartPolicy === 'OnFailure') {
    (status.containerStatuses ?? []).forEach((cs, i) => {
      const old = (oldPod.status?.containerStatuses ?? []).find((o) => o.name === cs.name);
      const terminatedOk =
        oldPod.spec?.restartPolicy === 'OnFailure' ? old?.state?.terminated?.exitCode === 0 : true;
      if (old?.state?.terminated && terminatedOk && !cs.state?.terminated) {
        errs.push(
          forbidden(
            sp.child('containerStatuses').at(i).child('state'),
            'may not be transitioned to non-terminated state',
          ),
        );
      }
    });
  }
  return errs;
}

/** ValidatePodBinding (pods/binding). */
export function validatePodBinding(b: Binding): FieldError[] {
  const errs: FieldError[] = [];
  const kind = b.target?.kind ?? '';
  if (kind !== '' && kind !== 'Node')
    errs.push(notSupported(Path.new('target', 'kind'), kind, ['Node', '<empty>']));
  if (!b.target?.name) errs.push(required(Path.new('target', 'name'), ''));
  return errs;
}
