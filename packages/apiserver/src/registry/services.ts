/**
 * Service IP and node port allocation, as kube-apiserver's service REST storage does it:
 *
 * - ClusterIP/NodePort/LoadBalancer services get a cluster IP from `--service-cluster-ip-range`
 *   (a requested one is reserved if free and in range); `clusterIP: None` is headless;
 *   ExternalName services get none;
 * - NodePort/LoadBalancer ports get node ports from `--service-node-port-range`;
 * - updates keep allocated values the client left out, allocate for type changes, and release
 *   what is no longer used once the update is stored; deletes release everything.
 *
 * Allocation failures are 422 Invalid with upstream's field paths and messages.
 */
import { deepCopyJson, invalid, newInvalid, Path, type FieldError } from '@kubets/apimachinery';
import type { ApiObject } from '../storage/codec.js';
import {
  AlreadyAllocatedError,
  NotInRangeError,
  RangeFullError,
  type PersistentAllocator,
} from './allocators/allocator.js';
import type { ResourceHooks, WriteTransaction } from './resource-registry.js';

interface ServicePort {
  name?: string;
  port?: number;
  protocol?: string;
  nodePort?: number;
}

interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ipFamilies?: string[];
  ipFamilyPolicy?: string;
  ports?: ServicePort[];
}

function specOf(obj: ApiObject): ServiceSpec {
  return (obj.spec ??= {});
}

function needsClusterIP(spec: ServiceSpec): boolean {
  return (spec.type ?? 'ClusterIP') !== 'ExternalName';
}

function needsNodePorts(spec: ServiceSpec): boolean {
  return spec.type === 'NodePort' || spec.type === 'LoadBalancer';
}

function hasIP(ip: string | undefined): ip is string {
  return ip !== undefined && ip !== '' && ip !== 'None';
}

/** Allocation failures with upstream's messages. */
function invalidService(obj: ApiObject, errs: FieldError[]): Error {
  return newInvalid({ group: '', kind: 'Service' }, obj.metadata?.name ?? '', errs);
}

export class ServiceAllocations implements ResourceHooks {
  constructor(
    private readonly ips: PersistentAllocator,
    private readonly ports: PersistentAllocator,
  ) {}

  async beginCreate(obj: ApiObject, dryRun: boolean): Promise<WriteTransaction | undefined> {
    const acquired: { kind: 'ip' | 'port'; value: string | number }[] = [];
    const revert = async (): Promise<void> => {
      if (dryRun) return;
      for (const a of acquired.splice(0)) {
        await (a.kind === 'ip' ? this.ips : this.ports).release(a.value);
      }
    };
    try {
      await this.allocate(obj, undefined, acquired, dryRun);
    } catch (err) {
      await revert();
      throw err;
    }
    return { commit: () => undefined, revert };
  }

  async beginUpdate(
    obj: ApiObject,
    old: ApiObject,
    dryRun: boolean,
  ): Promise<WriteTransaction | undefined> {
    const acquired: { kind: 'ip' | 'port'; value: string | number }[] = [];
    const revert = async (): Promise<void> => {
      if (dryRun) return;
      for (const a of acquired.splice(0)) {
        await (a.kind === 'ip' ? this.ips : this.ports).release(a.value);
      }
    };
    try {
      await this.allocate(obj, old, acquired, dryRun);
    } catch (err) {
      await revert();
      throw err;
    }
    const kept = this.valuesOf(obj);
    const released = this.valuesOf(old).filter(
      (v) => !kept.some((k) => k.kind === v.kind && k.value === v.value),
    );
    return {
      commit: async () => {
        if (dryRun) return;
        for (const r of released) await (r.kind === 'ip' ? this.ips : this.ports).release(r.value);
      },
      revert,
    };
  }

  async afterDelete(obj: ApiObject): Promise<void> {
    for (const v of this.valuesOf(obj))
      await (v.kind === 'ip' ? this.ips : this.ports).release(v.value);
  }

  /** Every allocated value of a stored service. */
  valuesOf(obj: ApiObject): { kind: 'ip' | 'port'; value: string | number }[] {
    const spec = specOf(deepCopyJson(obj));
    const out: { kind: 'ip' | 'port'; value: string | number }[] = [];
    if (needsClusterIP(spec))
      for (const ip of spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : []))
        if (hasIP(ip)) out.push({ kind: 'ip', value: ip });
    if (needsNodePorts(spec))
      for (const p of spec.ports ?? [])
        if (p.nodePort) out.push({ kind: 'port', value: p.nodePort });
    return out;
  }

  private async allocate(
    obj: ApiObject,
    old: ApiObject | undefined,
    acquired: { kind: 'ip' | 'port'; value: string | number }[],
    dryRun: boolean,
  ): Promise<void> {
    const spec = specOf(obj);
    const oldSpec = old ? specOf(deepCopyJson(old)) : undefined;
    if (needsClusterIP(spec)) {
      // An update that leaves the cluster IP out keeps the allocated one.
      if (!spec.clusterIP && oldSpec && needsClusterIP(oldSpec) && oldSpec.clusterIP) {
        spec.clusterIP = oldSpec.clusterIP;
        if (oldSpec.clusterIPs) spec.clusterIPs = [...oldSpec.clusterIPs];
      }
      const oldIP = oldSpec && needsClusterIP(oldSpec) ? oldSpec.clusterIP : undefined;
      if (spec.clusterIP === 'None') {
        spec.clusterIPs = ['None'];
      } else if (!spec.clusterIP || spec.clusterIP !== oldIP) {
        const requested = spec.clusterIP;
        try {
          const ip = requested
            ? await this.ips.allocate(requested, dryRun)
            : await this.ips.allocateNext(dryRun);
          acquired.push({ kind: 'ip', value: ip });
          spec.clusterIP = String(ip);
          spec.clusterIPs = [String(ip)];
        } catch (err) {
          throw this.ipError(obj, requested, err);
        }
      }
      if (spec.clusterIP !== 'None' || spec.ipFamilies === undefined) spec.ipFamilies ??= ['IPv4'];
      spec.ipFamilyPolicy ??= 'SingleStack';
    } else {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    if (needsNodePorts(spec)) {
      const oldPorts = oldSpec && needsNodePorts(oldSpec) ? (oldSpec.ports ?? []) : [];
      for (const [i, p] of (spec.ports ?? []).entries()) {
        if (!p.nodePort) {
          const previous = oldPorts.find(
            (o) => o.port === p.port && (o.protocol ?? 'TCP') === (p.protocol ?? 'TCP'),
          );
          if (previous?.nodePort) {
            p.nodePort = previous.nodePort;
            continue;
          }
        } else if (oldPorts.some((o) => o.nodePort === p.nodePort)) {
          continue;
        }
        try {
          const port = p.nodePort
            ? await this.ports.allocate(p.nodePort, dryRun)
            : await this.ports.allocateNext(dryRun);
          acquired.push({ kind: 'port', value: port });
          p.nodePort = Number(port);
        } catch (err) {
          throw this.portError(obj, i, p.nodePort, err);
        }
      }
    } else {
      for (const p of spec.ports ?? []) delete p.nodePort;
    }
  }

  private ipError(obj: ApiObject, requested: string | undefined, err: unknown): Error {
    const path = Path.new('spec', 'clusterIPs');
    if (err instanceof AlreadyAllocatedError) {
      return invalidService(obj, [
        invalid(
          path,
          [requested ?? ''],
          `failed to allocate IP ${requested}: provided IP is already allocated`,
        ),
      ]);
    }
    if (err instanceof NotInRangeError) {
      return invalidService(obj, [
        invalid(
          path,
          [requested ?? ''],
          `failed to allocate IP ${requested}: the provided IP (${requested}) is not in the valid range. The range of valid IPs is ${this.ips.range.text}`,
        ),
      ]);
    }
    if (err instanceof RangeFullError) {
      return invalidService(obj, [
        invalid(path, [], `failed to allocate a serviceIP: range is full`),
      ]);
    }
    return err as Error;
  }

  private portError(
    obj: ApiObject,
    index: number,
    requested: number | undefined,
    err: unknown,
  ): Error {
    const path = Path.new('spec', 'ports').at(index).child('nodePort');
    if (err instanceof AlreadyAllocatedError) {
      return invalidService(obj, [
        invalid(path, requested ?? 0, 'provided port is already allocated'),
      ]);
    }
    if (err instanceof NotInRangeError) {
      return invalidService(obj, [
        invalid(
          path,
          requested ?? 0,
          `provided port is not in the valid range. The range of valid ports is ${this.ports.range.text}`,
        ),
      ]);
    }
    if (err instanceof RangeFullError) {
      return invalidService(obj, [
        invalid(path, requested ?? 0, 'failed to allocate a nodePort: range is full'),
      ]);
    }
    return err as Error;
  }
}
