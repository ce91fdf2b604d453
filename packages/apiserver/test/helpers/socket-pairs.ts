/**
 * Connected loopback TCP socket pairs (127.0.0.1) for tests of socket writers: one listening
 * server per test file, every socket destroyed and the server closed after each test.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach } from 'vitest';

export interface SocketPair {
  /** The accepted (server) side. */
  srv: Socket;
  /** The client side. */
  cli: Socket;
}

/** Call at a test file's top level: registers the cleanup and returns the pair factory. */
export function loopbackPairs(): () => Promise<SocketPair> {
  let server: Server | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    server = undefined;
  });
  return async () => {
    server ??= createServer();
    const listening = server;
    if (!listening.listening) await new Promise<void>((r) => listening.listen(0, '127.0.0.1', r));
    const accepted = new Promise<Socket>((r) => listening.once('connection', r));
    const cli = connect((listening.address() as { port: number }).port, '127.0.0.1');
    const srv = await accepted;
    sockets.push(srv, cli);
    return { srv, cli };
  };
}

/** The file descriptor of a socket (libuv's handle; Unix). */
export const fdOf = (s: Socket): number => (s as unknown as { _handle: { fd: number } })._handle.fd;
