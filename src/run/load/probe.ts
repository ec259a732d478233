import { connect } from 'node:net';
import { connectHost } from '../../url-host.js';

/** TCP connect to the target's host:port, so an unreachable target is reported as such (exit 97). */
export function probe(url: URL, timeoutMs: number): Promise<string | undefined> {
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  return new Promise((done) => {
    const sock = connect({ host: connectHost(url), port });
    const timer = setTimeout(() => {
      sock.destroy();
      done('ETIMEDOUT');
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.destroy();
      done(undefined);
    });
    sock.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      done(err.code ?? err.message);
    });
  });
}
