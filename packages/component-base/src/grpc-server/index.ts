export { GrpcServer } from './server.js';
export type { GrpcServerOptions, GrpcServerTls, GrpcListenOptions } from './server.js';
export { UnaryCall, StreamCall, ServerStreamCall, ClientStreamCall } from './calls.js';
export type { CallContext, MethodDefinition, ServiceDefinition, UnaryCallback } from './calls.js';
export { Metadata } from './metadata.js';
export type { MetadataValue } from './metadata.js';
export { Status, statusName, resolveStatus, encodeGrpcMessage } from './status.js';
export type { StatusCode, StatusLike, ResolvedStatus } from './status.js';
export { frameMessage, MessageDecoder, parseGrpcTimeout, PREFIX_BYTES } from './framing.js';
