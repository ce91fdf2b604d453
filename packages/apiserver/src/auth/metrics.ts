/**
 * Authentication and authorization metrics with upstream's names: `authentication_attempts` and
 * `authentication_duration_seconds` (by result), `apiserver_authorization_decisions_total`
 * (by deciding authorizer type and decision).
 */
import type { ComponentMetrics } from '@kubets/component-base';

export type AuthnResult = 'success' | 'failure' | 'error';

export class AuthMetrics {
  private readonly attempts;
  private readonly duration;
  private readonly decisions;

  constructor(metrics: ComponentMetrics) {
    this.attempts = metrics.counter({
      name: 'authentication_attempts',
      help: 'Counter of authenticated attempts.',
      labelNames: ['result'],
    });
    this.duration = metrics.histogram({
      name: 'authentication_duration_seconds',
      help: 'Authentication duration in seconds broken out by result.',
      labelNames: ['result'],
      buckets: [0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024],
    });
    this.decisions = metrics.counter({
      name: 'apiserver_authorization_decisions_total',
      help: 'Total number of terminal decisions made by an authorizer split by authorizer type, name, and decision.',
      labelNames: ['type', 'name', 'decision'],
    });
  }

  authentication(result: AuthnResult, seconds: number): void {
    this.attempts.inc({ result });
    this.duration.observe({ result }, seconds);
  }

  decision(type: string, decision: 'allowed' | 'denied'): void {
    this.decisions.inc({ type, name: type.toLowerCase(), decision });
  }
}
