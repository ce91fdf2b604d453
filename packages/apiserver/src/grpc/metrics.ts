/**
 * gRPC server metrics with go-grpc-prometheus's names (what gRPC dashboards expect), beside the
 * apiserver_* request metrics every RPC also records.
 */
import { hotCount, type ComponentMetrics } from '@kubets/component-base';

export type GrpcType = 'unary' | 'server_stream';

export class GrpcServerMetrics {
  private readonly started;
  private readonly handled;
  private readonly sent;

  constructor(metrics: ComponentMetrics) {
    const labelNames = ['grpc_type', 'grpc_service', 'grpc_method'] as const;
    this.started = metrics.counter({
      name: 'grpc_server_started_total',
      help: 'Total number of RPCs started on the server.',
      labelNames: [...labelNames],
    });
    this.handled = metrics.counter({
      name: 'grpc_server_handled_total',
      help: 'Total number of RPCs completed on the server, regardless of success or failure.',
      labelNames: [...labelNames, 'grpc_code'],
    });
    this.sent = metrics.counter({
      name: 'grpc_server_msg_sent_total',
      help: 'Total number of gRPC stream messages sent by the server.',
      labelNames: [...labelNames],
    });
  }

  start(type: GrpcType, service: string, method: string): void {
    this.started.inc({ grpc_type: type, grpc_service: service, grpc_method: method });
  }

  /** `code`: the gRPC code's name (OK, NOT_FOUND...). */
  handle(type: GrpcType, service: string, method: string, code: string): void {
    this.handled.inc({
      grpc_type: type,
      grpc_service: service,
      grpc_method: method,
      grpc_code: code,
    });
  }

  /**
   * messageSent for one stream's labels, resolved once (a watch counts per watcher and batch):
   * a plain addition, folded into the counter when it is scraped.
   */
  messageSender(type: GrpcType, service: string, method: string): (count: number) => void {
    const c = hotCount(this.sent, { grpc_type: type, grpc_service: service, grpc_method: method });
    return (count) => c.add(count);
  }

  messageSent(type: GrpcType, service: string, method: string, count = 1): void {
    this.sent.inc({ grpc_type: type, grpc_service: service, grpc_method: method }, count);
  }
}
