/**
 * The admission chain: plugins in upstream's fixed order; the mutating phase runs every mutating
 * plugin serially, the validating phase every validating plugin. The first refusal ends the
 * request with that plugin's error.
 */
import type { AdmissionObserver } from './metrics.js';
import { noMetrics } from './metrics.js';
import {
  isMutating,
  isValidating,
  type AdmissionAttributes,
  type AdmissionController,
  type AdmissionPlugin,
  type MutatingPlugin,
  type ValidatingPlugin,
} from './types.js';

export class AdmissionChain implements AdmissionController {
  constructor(
    readonly plugins: readonly AdmissionPlugin[],
    private readonly observer: AdmissionObserver = noMetrics,
  ) {}

  get names(): string[] {
    return this.plugins.map((p) => p.name);
  }

  admit(attrs: AdmissionAttributes): Promise<void> {
    return this.run('admit', attrs);
  }

  validate(attrs: AdmissionAttributes): Promise<void> {
    return this.run('validate', attrs);
  }

  /**
   * Runs one phase. Each plugin's method is called and awaited directly (no wrapper closure per
   * plugin: every write runs both phases over about ten plugins, and each wrapper was one more
   * promise and microtask).
   */
  private async run(type: 'admit' | 'validate', attrs: AdmissionAttributes): Promise<void> {
    const started = performance.now();
    let rejected = false;
    try {
      for (const p of this.plugins) {
        if (type === 'admit' ? !isMutating(p) : !isValidating(p)) continue;
        if (!p.handles(attrs.operation)) continue;
        const t = performance.now();
        let failed = false;
        try {
          if (type === 'admit') await (p as MutatingPlugin).admit(attrs);
          else await (p as ValidatingPlugin).validate(attrs);
        } catch (err) {
          failed = true;
          throw err;
        } finally {
          this.observer.plugin(p.name, type, attrs.operation, failed, seconds(t));
        }
      }
    } catch (err) {
      rejected = true;
      throw err;
    } finally {
      this.observer.step(type, attrs.operation, rejected, seconds(started));
    }
  }
}

function seconds(since: number): number {
  return (performance.now() - since) / 1000;
}
