import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** The socket as node:http leaves it: the answer it is writing (or waiting to write) now. */
type HttpSocket = Socket & { _httpMessage?: ServerResponse | null; clientErrorSeen?: boolean };

/** ms a socket may still live after its error answer (a peer that never reads cannot keep it). */
const LINGER_MS = 1000;
/** ms the answers pending at a parse error may take before the socket is dropped without them. */
const PENDING_LIMIT_MS = 30_000;

/**
 * What to do with a connection node:http's parser gave up on, once the answers to the requests it
 * took before are out. Those answers go first, in order: a refusal written in place of a pending
 * answer would tell the client "not issued" for a coupon the server then issues. So the error
 * answer (`errorText`, undefined for none) waits for every pending answer, then the socket closes.
 * `HPE_CLOSED_CONNECTION` (bytes after a `Connection: close` request) gets no answer at all: they
 * are ignored (RFC 9112 §9.6) and node:http closes after the last answer. Nothing more is read.
 */
export function closeAfterPending(socket: Socket, code: string | undefined, errorText: () => string): void {
  const s = socket as HttpSocket;
  // The parser stays failed: more data raises the same error again; it was handled the first time.
  if (s.clientErrorSeen) return;
  s.clientErrorSeen = true;
  if (code === 'ECONNRESET' || !s.writable) {
    s.destroy();
    return;
  }
  s.pause();
  const guard = setTimeout(() => s.destroy(), PENDING_LIMIT_MS);
  guard.unref();
  const next = (): void => {
    const res = s._httpMessage;
    // The request the parser failed in (its body never completes) is answered by the error itself.
    if (res && (res.req as IncomingMessage | undefined)?.complete !== false) {
      // node:http hands the socket to the next pending answer in its own 'finish' listener, which
      // runs before this one; a pending answer whose client left ends it all.
      res.once('finish', next);
      res.once('close', () => {
        if (!res.writableFinished) s.destroy();
      });
      return;
    }
    clearTimeout(guard);
    if (!s.writable || s.destroyed) return;
    if (code === 'HPE_CLOSED_CONNECTION') s.end();
    else s.end(errorText());
    setTimeout(() => s.destroy(), LINGER_MS).unref();
  };
  next();
}
