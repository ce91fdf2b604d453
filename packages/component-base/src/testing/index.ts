/**
 * Test support for components built on component-base (`@kubets/component-base/testing`):
 * an in-process OTLP/HTTP receiver, so a component's tests can assert the spans it exports.
 */
export * from './otlp-receiver.js';
