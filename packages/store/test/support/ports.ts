import { createServer } from 'node:net';

/**
 * Ports are drawn below Linux's default ephemeral range (32768-60999): the fault and restart
 * tests stop a member and start it again on the same port, and in between an outgoing
 * connection of any process on the machine could be given that port as its local port if it
 * were an ephemeral one (seen once in CI: the restarted member failed with EADDRINUSE).
 */
const LOW = 20_000;
const HIGH = 32_767;
const ATTEMPTS = 50;

/** Whether a listener can bind 127.0.0.1:`port` right now. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** The port the OS picks (an ephemeral one): the fallback when the low range looks taken. */
function osPickedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => {
        if (addr && typeof addr === 'object') resolve(addr.port);
        else reject(new Error('no port'));
      });
    });
  });
}

/**
 * Each test process walks the range from a random start, so it never hands out a port twice
 * (a member stopped for a restart keeps its port reserved) and parallel test files rarely meet.
 */
let next = LOW + Math.floor(Math.random() * (HIGH - LOW + 1));

/** A TCP port on 127.0.0.1 that was free a moment ago, outside the ephemeral range if possible. */
export async function freePort(): Promise<number> {
  for (let i = 0; i < ATTEMPTS; i++) {
    const port = next;
    next = next >= HIGH ? LOW : next + 1;
    if (await bindable(port)) return port;
  }
  return osPickedPort();
}
