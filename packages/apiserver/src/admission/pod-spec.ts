/**
 * Loose views of pod specs for the pod plugins (the wire shape of core/v1, as plain objects).
 */
import type { ApiObject } from '../storage/codec.js';

export interface ContainerLike {
  name: string;
  image?: string;
  ports?: { containerPort?: number; hostPort?: number; hostIP?: string }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: SecurityContextLike;
  envFrom?: { configMapRef?: { name?: string }; secretRef?: { name?: string } }[];
  env?: {
    valueFrom?: {
      configMapKeyRef?: { name?: string };
      secretKeyRef?: { name?: string };
    };
  }[];
}

export interface SecurityContextLike {
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  procMount?: string;
  seccompProfile?: { type?: string; localhostProfile?: string };
  seLinuxOptions?: { type?: string; user?: string; role?: string; level?: string };
  appArmorProfile?: { type?: string; localhostProfile?: string };
  windowsOptions?: { hostProcess?: boolean };
  sysctls?: { name: string; value?: string }[];
}

export interface PodSpecLike {
  nodeName?: string;
  serviceAccountName?: string;
  serviceAccount?: string;
  automountServiceAccountToken?: boolean;
  containers?: ContainerLike[];
  initContainers?: ContainerLike[];
  ephemeralContainers?: ContainerLike[];
  volumes?: ({ name: string } & Record<string, unknown>)[];
  tolerations?: {
    key?: string;
    operator?: string;
    value?: string;
    effect?: string;
    tolerationSeconds?: number;
  }[];
  imagePullSecrets?: { name?: string }[];
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  hostUsers?: boolean;
  securityContext?: SecurityContextLike;
  overhead?: Record<string, string>;
  os?: { name?: string };
}

export function podSpec(pod: ApiObject): PodSpecLike {
  return (pod.spec ??= {});
}

export function allContainers(spec: PodSpecLike): ContainerLike[] {
  return [
    ...(spec.initContainers ?? []),
    ...(spec.containers ?? []),
    ...(spec.ephemeralContainers ?? []),
  ];
}

export function isPodCreate(a: {
  resource: { group: string; resource: string };
  subresource: string;
  operation: string;
}): boolean {
  return (
    a.resource.group === '' &&
    a.resource.resource === 'pods' &&
    a.subresource === '' &&
    a.operation === 'CREATE'
  );
}

export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

export function isMirrorPod(pod: ApiObject): boolean {
  return pod.metadata?.annotations?.[MIRROR_POD_ANNOTATION] !== undefined;
}
