export { H2ClientConnection, UnaryStream } from './h2-client.js';
export type { H2ClientOptions, UnaryRequest, UnaryOutcome, UnaryCallback } from './h2-client.js';
