/**
 * `/version`. kubectl's dispatcher starts the kubectl build matching the reported minor
 * (kubectl-wire.md §1.1): kubets reports Kubernetes 1.32, the API level it implements.
 */
import type { VersionInfo } from './http/handler.js';

export const KUBERNETES_MAJOR = '1';
export const KUBERNETES_MINOR = '32';

export function versionInfo(
  packageVersion: string,
  buildDate = '1970-01-01T00:00:00Z',
): VersionInfo {
  return {
    major: KUBERNETES_MAJOR,
    minor: KUBERNETES_MINOR,
    gitVersion: `v${KUBERNETES_MAJOR}.${KUBERNETES_MINOR}.0-kubets.${packageVersion}`,
    gitCommit: 'unknown',
    gitTreeState: 'clean',
    buildDate,
    goVersion: `node${process.versions.node}`,
    compiler: 'tsc',
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}
