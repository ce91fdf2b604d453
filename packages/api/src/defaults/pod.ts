/**
 * Pod defaulting, as upstream's SetDefaults_Pod / SetDefaults_PodSpec / SetDefaults_Container and
 * the defaulters generated for nested types (ports, probes, volumes, env). Functions mutate in
 * place and are idempotent: defaulting a defaulted object changes nothing.
 */
import type {
  Container,
  HTTPGetAction,
  Pod,
  PodSpec,
  PodTemplateSpec,
  Probe,
  ResourceRequirements,
  Volume,
  VolumeProjection,
} from '../types/core-v1.js';
import { VOLUME_SOURCES } from '../volume-sources.js';

export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';
export const TERMINATION_MESSAGE_PATH_DEFAULT = '/dev/termination-log';
/** 0644: the mode of projected secret/configMap/downwardAPI files. */
export const DEFAULT_VOLUME_MODE = 0o644;

/**
 * The tag an image reference resolves to, as the kubelet's ParseImageName does: the explicit tag,
 * `latest` when there is neither tag nor digest, '' for a digest-only or unparsable reference.
 */
export function imageTag(image: string): string {
  if (image.length === 0 || /\s/.test(image)) return '';
  const at = image.indexOf('@');
  const reference = at >= 0 ? image.slice(0, at) : image;
  const lastSlash = reference.lastIndexOf('/');
  const colon = reference.indexOf(':', lastSlash + 1);
  const repository = colon >= 0 ? reference.slice(0, colon) : reference;
  // The reference parser rejects upper case ("repository name must be lowercase").
  if (/[A-Z]/.test(repository)) return '';
  if (colon >= 0) return reference.slice(colon + 1);
  return at >= 0 ? '' : 'latest';
}

/** imagePullPolicy: Always for `:latest` or untagged images, IfNotPresent otherwise. */
export function defaultPullPolicy(image: string | undefined): 'Always' | 'IfNotPresent' {
  return imageTag(image ?? '') === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultHTTPGet(h: HTTPGetAction | undefined): void {
  if (!h) return;
  h.path ??= '/';
  if (!h.scheme) h.scheme = 'HTTP';
}

/** SetDefaults_Probe plus the handler defaults. */
export function defaultProbe(p: Probe | undefined): void {
  if (!p) return;
  p.timeoutSeconds ??= 1;
  p.periodSeconds ??= 10;
  p.successThreshold ??= 1;
  p.failureThreshold ??= 3;
  defaultHTTPGet(p.httpGet);
}

export function defaultContainer(c: Container): void {
  if (!c.imagePullPolicy) c.imagePullPolicy = defaultPullPolicy(c.image);
  if (!c.terminationMessagePath) c.terminationMessagePath = TERMINATION_MESSAGE_PATH_DEFAULT;
  if (!c.terminationMessagePolicy) c.terminationMessagePolicy = 'File';
  for (const port of c.ports ?? []) if (!port.protocol) port.protocol = 'TCP';
  for (const env of c.env ?? []) {
    const fieldRef = env.valueFrom?.fieldRef;
    if (fieldRef && !fieldRef.apiVersion) fieldRef.apiVersion = 'v1';
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  defaultHTTPGet(c.lifecycle?.postStart?.httpGet);
  defaultHTTPGet(c.lifecycle?.preStop?.httpGet);
}

function defaultProjection(p: VolumeProjection): void {
  if (p.serviceAccountToken) p.serviceAccountToken.expirationSeconds ??= 3600;
  for (const item of p.downwardAPI?.items ?? []) {
    if (item.fieldRef && !item.fieldRef.apiVersion) item.fieldRef.apiVersion = 'v1';
  }
}

/** SetDefaults_Volume and the per-source defaults (modes, hostPath type, emptyDir fallback). */
export function defaultVolume(v: Volume): void {
  if (!VOLUME_SOURCES.some((s) => v[s] !== undefined)) v.emptyDir = {};
  if (v.hostPath) v.hostPath.type ??= '';
  if (v.secret) v.secret.defaultMode ??= DEFAULT_VOLUME_MODE;
  if (v.configMap) v.configMap.defaultMode ??= DEFAULT_VOLUME_MODE;
  if (v.downwardAPI) {
    v.downwardAPI.defaultMode ??= DEFAULT_VOLUME_MODE;
    for (const item of v.downwardAPI.items ?? []) {
      if (item.fieldRef && !item.fieldRef.apiVersion) item.fieldRef.apiVersion = 'v1';
    }
  }
  if (v.projected) {
    v.projected.defaultMode ??= DEFAULT_VOLUME_MODE;
    for (const p of v.projected.sources ?? []) defaultProjection(p);
  }
  if (v.ephemeral?.volumeClaimTemplate?.spec) {
    v.ephemeral.volumeClaimTemplate.spec.volumeMode ??= 'Filesystem';
  }
}

/** Host networking publishes container ports on the host: hostPort defaults to containerPort. */
function defaultHostNetworkPorts(containers: Container[] | undefined): void {
  for (const c of containers ?? []) {
    for (const p of c.ports ?? []) if (!p.hostPort) p.hostPort = p.containerPort;
  }
}

/** SetDefaults_PodSpec and everything nested (used for pods and for pod templates). */
export function defaultPodSpec(spec: PodSpec): void {
  if (!spec.dnsPolicy) spec.dnsPolicy = 'ClusterFirst';
  if (!spec.restartPolicy) spec.restartPolicy = 'Always';
  if (spec.hostNetwork) {
    defaultHostNetworkPorts(spec.containers);
    defaultHostNetworkPorts(spec.initContainers);
  }
  spec.securityContext ??= {};
  spec.terminationGracePeriodSeconds ??= DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
  if (!spec.schedulerName) spec.schedulerName = DEFAULT_SCHEDULER_NAME;
  // serviceAccount is the deprecated alias; conversion keeps both in step.
  if (!spec.serviceAccountName && spec.serviceAccount)
    spec.serviceAccountName = spec.serviceAccount;
  if (spec.serviceAccountName) spec.serviceAccount = spec.serviceAccountName;
  for (const c of spec.initContainers ?? []) defaultContainer(c);
  for (const c of spec.containers ?? []) defaultContainer(c);
  for (const c of spec.ephemeralContainers ?? []) defaultContainer(c);
  for (const v of spec.volumes ?? []) defaultVolume(v);
}

export function defaultPodTemplateSpec(template: PodTemplateSpec | undefined): void {
  if (template?.spec) defaultPodSpec(template.spec);
}

/** Limits without requests: the request defaults to the limit (only for Pods, not templates). */
function defaultRequestsFromLimits(resources: ResourceRequirements | undefined): void {
  if (!resources?.limits) return;
  resources.requests ??= {};
  for (const [name, q] of Object.entries(resources.limits)) {
    if (!(name in resources.requests)) resources.requests[name] = q;
  }
}

/** SetDefaults_Pod: the PodSpec defaults plus the pod-only ones. */
export function defaultPod(pod: Pod): void {
  if (!pod.spec) return;
  for (const c of pod.spec.containers ?? []) defaultRequestsFromLimits(c.resources);
  for (const c of pod.spec.initContainers ?? []) defaultRequestsFromLimits(c.resources);
  pod.spec.enableServiceLinks ??= true;
  defaultPodSpec(pod.spec);
}
