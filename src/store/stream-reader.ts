import { RawConnection } from '../redis/raw-connection.js';
import { encodeCommand, rawRedisTarget } from '../redis/resp.js';
import { readStreams, type ReadStream } from './stream-reply.js';

/**
 * A minimal Redis connection for the persister's hot read (XREADGROUP): a {@link RawConnection}
 * whose replies are decoded straight into rows ({@link readStreams}). Plain redis:// only (AUTH and
 * SELECT from the URL); the caller uses ioredis for rediss:// and for everything else. Reconnects
 * on the next command after an error.
 */
export class StreamReader {
  private readonly conn: RawConnection;

  /** Whether the URL can be served by this reader (plain TCP). */
  static supports(url: string): boolean {
    try {
      return new URL(url).protocol === 'redis:';
    } catch {
      return false;
    }
  }

  constructor(url: string, name = 'coupon-bench-persister-reader') {
    this.conn = new RawConnection(rawRedisTarget(url, name));
  }

  /** XREADGROUP GROUP g c COUNT n [BLOCK ms] STREAMS keys… ids…, decoded; rejects on errors. */
  xreadgroup(args: readonly (string | number)[], timeoutMs: number): Promise<ReadStream[] | null> {
    const conn = this.conn;
    if (conn.isClosed) return Promise.reject(new Error('stream reader closed'));
    conn.open();
    return new Promise((resolve, reject) => {
      // A reply that never comes (half-open connection): drop the socket, the next read reconnects.
      const timer = setTimeout(() => conn.fail(new Error(`no reply from Redis within ${timeoutMs} ms`)), timeoutMs);
      conn.expect({
        decode: readStreams,
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as ReadStream[] | null);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      conn.write(encodeCommand(['XREADGROUP', ...args]));
    });
  }

  close(): void {
    this.conn.close(new Error('stream reader closed'));
  }
}
