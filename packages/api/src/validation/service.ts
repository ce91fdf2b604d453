/**
 * Service validation (ValidateService / ValidateServiceUpdate / ValidateServiceStatusUpdate) and
 * the node-port range check upstream's allocator performs, with upstream's messages.
 */
import {
  Path,
  duplicate,
  forbidden,
  invalid,
  nameIsDNS1035Label,
  notSupported,
  required,
  validateLabels,
  validateObjectMeta,
  validateObjectMetaUpdate,
  type FieldError,
} from '@kubets/apimachinery';
import type { Service, ServicePort } from '../types/core-v1.js';
import {
  GoLiteral,
  isValidPortNum,
  ipFamilyOf,
  validateCIDR,
  validateDNS1123Label,
  validateDNS1123Subdomain,
  validateEnum,
  validateIP,
  validatePortNumOrName,
  validateQualifiedName,
} from './helpers.js';

/** An inclusive port range, as `--service-node-port-range=30000-32767` describes. */
export interface PortRange {
  base: number;
  size: number;
}

export const DEFAULT_NODE_PORT_RANGE: PortRange = { base: 30000, size: 2768 };

export interface ServiceValidationContext {
  /** When given, node ports outside it are rejected as the allocator does. */
  nodePortRange?: PortRange;
}

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

function isHeadless(svc: Service): boolean {
  return svc.spec?.clusterIP === 'None';
}

function servicePortLiteral(p: ServicePort): GoLiteral {
  return new GoLiteral(
    `core.ServicePort{Name:"", Protocol:"${p.protocol ?? ''}", AppProtocol:(*string)(nil), Port:${p.port}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`,
  );
}

function validateServicePort(
  sp: ServicePort,
  requireName: boolean,
  names: Set<string>,
  path: Path,
): FieldError[] {
  const errs: FieldError[] = [];
  if (requireName && !sp.name) errs.push(required(path.child('name'), ''));
  else if (sp.name) {
    errs.push(...validateDNS1123Label(sp.name, path.child('name')));
    if (names.has(sp.name)) errs.push(duplicate(path.child('name'), sp.name));
    else names.add(sp.name);
  }
  for (const m of isValidPortNum(sp.port)) errs.push(invalid(path.child('port'), sp.port, m));
  if (!sp.protocol) errs.push(required(path.child('protocol'), ''));
  else if (!PROTOCOLS.includes(sp.protocol))
    errs.push(notSupported(path.child('protocol'), sp.protocol, PROTOCOLS));
  errs.push(...validatePortNumOrName(sp.targetPort, path.child('targetPort')));
  if (sp.appProtocol !== undefined)
    errs.push(...validateQualifiedName(sp.appProtocol, path.child('appProtocol')));
  return errs;
}

/** ValidateService (create). */
export function validateService(svc: Service, ctx: ServiceValidationContext = {}): FieldError[] {
  const errs = validateObjectMeta(svc.metadata ?? {}, {
    requiresNamespace: true,
    nameFn: nameIsDNS1035Label,
  });
  const spec = svc.spec ?? {};
  const specPath = Path.new('spec');
  const portsPath = specPath.child('ports');
  const ports = spec.ports ?? [];
  const type = spec.type ?? '';
  if (ports.length === 0 && !isHeadless(svc) && type !== 'ExternalName')
    errs.push(required(portsPath, ''));
  if (!type) errs.push(required(specPath.child('type'), ''));
  else if (!SERVICE_TYPES.includes(type))
    errs.push(notSupported(specPath.child('type'), type, SERVICE_TYPES));
  if (type === 'ExternalName') {
    if ((spec.clusterIPs?.length ?? 0) > 0 || (spec.clusterIP ?? '') !== '') {
      errs.push(
        forbidden(specPath.child('clusterIPs'), 'may not be set for ExternalName services'),
      );
    }
    const en = (spec.externalName ?? '').replace(/\.$/, '');
    if (!en) errs.push(required(specPath.child('externalName'), ''));
    else errs.push(...validateDNS1123Subdomain(en, specPath.child('externalName')));
  }
  const names = new Set<string>();
  ports.forEach((p, i) =>
    errs.push(...validateServicePort(p, ports.length > 1, names, portsPath.at(i))),
  );
  if (spec.selector) errs.push(...validateLabels(spec.selector, specPath.child('selector')));
  errs.push(
    ...validateEnum(spec.sessionAffinity, ['ClientIP', 'None'], specPath.child('sessionAffinity')),
  );
  if (spec.sessionAffinity === 'ClientIP') {
    const t = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
    if (t === undefined) {
      errs.push(
        required(specPath.child('sessionAffinityConfig', 'clientIP', 'timeoutSeconds'), ''),
      );
    } else if (t <= 0 || t > 86400) {
      errs.push(
        invalid(
          specPath.child('sessionAffinityConfig', 'clientIP', 'timeoutSeconds'),
          t,
          'must be greater than 0 and less than 86400',
        ),
      );
    }
  } else if (spec.sessionAffinityConfig) {
    errs.push(
      invalid(
        specPath.child('sessionAffinityConfig'),
        new GoLiteral('&core.SessionAffinityConfig{...}'),
        `must not be set when session affinity is ${spec.sessionAffinity ?? ''}`,
      ),
    );
  }
  // clusterIP / clusterIPs
  const clusterIPs = spec.clusterIPs ?? [];
  if (spec.clusterIP && clusterIPs.length > 0 && clusterIPs[0] !== spec.clusterIP) {
    errs.push(
      invalid(specPath.child('clusterIPs'), clusterIPs, 'first value must match `clusterIP`'),
    );
  }
  clusterIPs.forEach((ip, i) => {
    if (ip === 'None') {
      if (i > 0 || clusterIPs.length > 1)
        errs.push(
          invalid(
            specPath.child('clusterIPs').at(i),
            ip,
            'must not have more than one value when `None` is specified',
          ),
        );
      return;
    }
    errs.push(...validateIP(ip, specPath.child('clusterIPs').at(i)));
  });
  if (clusterIPs.length === 0 && spec.clusterIP && spec.clusterIP !== 'None') {
    errs.push(...validateIP(spec.clusterIP, specPath.child('clusterIP')));
  }
  if (clusterIPs.length === 2 && ipFamilyOf(clusterIPs[0]!) === ipFamilyOf(clusterIPs[1]!)) {
    errs.push(
      invalid(
        specPath.child('clusterIPs').at(1),
        clusterIPs,
        'may specify no more than one IP for each IP family',
      ),
    );
  }
  if (spec.ipFamilyPolicy !== undefined) {
    errs.push(
      ...validateEnum(
        spec.ipFamilyPolicy,
        ['PreferDualStack', 'RequireDualStack', 'SingleStack'],
        specPath.child('ipFamilyPolicy'),
      ),
    );
  }
  const families = new Set<string>();
  (spec.ipFamilies ?? []).forEach((f, i) => {
    const p = specPath.child('ipFamilies').at(i);
    if (f !== 'IPv4' && f !== 'IPv6') errs.push(notSupported(p, f, ['IPv4', 'IPv6']));
    else if (families.has(f)) errs.push(duplicate(p, f));
    families.add(f);
  });
  (spec.externalIPs ?? []).forEach((ip, i) =>
    errs.push(...validateIP(ip, specPath.child('externalIPs').at(i))),
  );
  (spec.loadBalancerSourceRanges ?? []).forEach((r, i) =>
    errs.push(...validateCIDR(r.trim(), specPath.child('loadBalancerSourceRanges').at(i))),
  );
  // Node ports.
  ports.forEach((p, i) => {
    if (!p.nodePort) return;
    const np = portsPath.at(i).child('nodePort');
    if (type === 'ClusterIP' || type === 'ExternalName') {
      errs.push(forbidden(np, `may not be used when \`type\` is '${type}'`));
      return;
    }
    for (const m of isValidPortNum(p.nodePort)) errs.push(invalid(np, p.nodePort, m));
    const r = ctx.nodePortRange;
    if (r && (p.nodePort < r.base || p.nodePort >= r.base + r.size)) {
      errs.push(
        invalid(
          np,
          p.nodePort,
          `provided port is not in the valid range. The range of valid ports is ${r.base}-${r.base + r.size - 1}`,
        ),
      );
    }
  });
  const seenPorts = new Set<string>();
  ports.forEach((p, i) => {
    const key = `${p.protocol}/${p.port}`;
    if (seenPorts.has(key)) errs.push(duplicate(portsPath.at(i), servicePortLiteral(p)));
    seenPorts.add(key);
  });
  const seenNodePorts = new Set<string>();
  ports.forEach((p, i) => {
    if (!p.nodePort) return;
    const key = `${p.protocol}/${p.nodePort}`;
    if (seenNodePorts.has(key)) errs.push(duplicate(portsPath.at(i).child('nodePort'), p.nodePort));
    seenNodePorts.add(key);
  });
  if (spec.externalTrafficPolicy) {
    const accessible =
      type === 'LoadBalancer' ||
      type === 'NodePort' ||
      (type === 'ClusterIP' && (spec.externalIPs?.length ?? 0) > 0);
    if (!accessible) {
      errs.push(
        invalid(
          specPath.child('externalTrafficPolicy'),
          spec.externalTrafficPolicy,
          'may only be set for externally-accessible services',
        ),
      );
    } else {
      errs.push(
        ...validateEnum(
          spec.externalTrafficPolicy,
          ['Cluster', 'Local'],
          specPath.child('externalTrafficPolicy'),
        ),
      );
    }
  }
  if (spec.internalTrafficPolicy !== undefined && type !== 'ExternalName') {
    errs.push(
      ...validateEnum(
        spec.internalTrafficPolicy,
        ['Cluster', 'Local'],
        specPath.child('internalTrafficPolicy'),
      ),
    );
  }
  if (spec.healthCheckNodePort && spec.externalTrafficPolicy !== 'Local') {
    errs.push(
      invalid(
        specPath.child('healthCheckNodePort'),
        spec.healthCheckNodePort,
        "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
      ),
    );
  }
  return errs;
}

/** ValidateServiceUpdate: assigned cluster IPs may not change (except to/from ExternalName). */
export function validateServiceUpdate(
  svc: Service,
  old: Service,
  ctx: ServiceValidationContext = {},
): FieldError[] {
  const errs = validateObjectMetaUpdate(svc.metadata ?? {}, old.metadata ?? {});
  if (old.spec?.type !== 'ExternalName' && svc.spec?.type !== 'ExternalName') {
    const oldIPs = old.spec?.clusterIPs ?? [];
    const newIPs = svc.spec?.clusterIPs ?? [];
    oldIPs.forEach((ip, i) => {
      if (i >= newIPs.length) return;
      if (newIPs[i] !== ip) {
        errs.push(invalid(Path.new('spec', 'clusterIPs').at(i), newIPs, 'may not change once set'));
      }
    });
  }
  errs.push(...validateService(svc, ctx).filter((e) => !e.field.startsWith('metadata.')));
  return errs;
}

/** ValidateServiceStatusUpdate. */
export function validateServiceStatusUpdate(svc: Service, old: Service): FieldError[] {
  const errs = validateObjectMetaUpdate(svc.metadata ?? {}, old.metadata ?? {});
  const ip = Path.new('status', 'loadBalancer', 'ingress');
  (svc.status?.loadBalancer?.ingress ?? []).forEach((ing, i) => {
    if (ing.ip) errs.push(...validateIP(ing.ip, ip.at(i).child('ip')));
    if (ing.hostname)
      errs.push(...validateDNS1123Subdomain(ing.hostname, ip.at(i).child('hostname')));
    if (ing.ipMode !== undefined)
      errs.push(...validateEnum(ing.ipMode, ['Proxy', 'VIP'], ip.at(i).child('ipMode')));
  });
  return errs;
}
