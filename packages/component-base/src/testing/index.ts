/**
 * Test and benchmark support for components built on component-base
 * (`@kubets/component-base/testing`): an in-process OTLP/HTTP receiver, so a component's tests
 * can assert the spans it exports; a throwaway openssl PKI for TLS tests; CPU readers for the
 * processes a benchmark starts.
 */
export * from './otlp-receiver.js';
export * from './proc-cpu.js';
export * from './test-pki.js';
