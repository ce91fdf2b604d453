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
} from './types.js';

export class AdmissionChain implements AdmissionController {
  constructor(
    readonly plugins: readonly AdmissionPlugin[],
    private readonly observer: AdmissionObserver = noMetrics,
  ) {}

  get names(): string[] {
    return this.plugins.map((p) => p.name);
  }

  async admit(attrs: AdmissionAttributes): Promise<void> {
    await this.run('admit', attrs, async (p) => {
      if (isMutating(p)) await p.admit(attrs);
    });
  }

  async validate(attrs: AdmissionAttributes): Promise<void> {
    await this.run('validate', attrs, async (p) => {
      if (isValidating(p)) await p.validate(attrs);
    });
  }

  private async run(
    type: 'admit' | 'validate',
    attrs: AdmissionAttributes,
    call: (p: AdmissionPlugin) => Promise<void>,
  ): Promise<void> {
    const started = performance.now();
    let rejected = false;
    try {
      for (const p of this.plugins) {
        if (type === 'admit' ? !isMutating(p) : !isValidating(p)) continue;
        if (!p.handles(attrs.operation)) continue;
        const t = performance.now();
        let failed = false;
        try {
          await call(p);
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
