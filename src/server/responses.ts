import type { ServerResponse } from 'node:http';

/** Seconds a client should wait before retrying a 503. */
export const RETRY_AFTER_SECONDS = '1';

/** JSON error body of the HTTP contract (docs/contract.md): {code, message, status}, plus any extra fields. */
export function errorBody(status: number, code: string, message: string, extra?: Record<string, unknown>): string {
  return JSON.stringify({ code, message, status, ...extra });
}

/** Send a JSON body with precomputed headers (flat array form: no per-call header object). */
export function sendJson(res: ServerResponse, status: number, body: string): void {
  // Bodies are ASCII except user-supplied names on admin routes.
  res.writeHead(status, ['Content-Type', 'application/json', 'Content-Length', String(Buffer.byteLength(body))]);
  res.end(body);
}

/** Send a JSON body with extra headers (flat name/value pairs: Allow, Retry-After, Connection). */
export function sendJsonWith(res: ServerResponse, status: number, body: string, headers: readonly string[] | undefined): void {
  if (headers === undefined) return sendJson(res, status, body);
  res.writeHead(status, ['Content-Type', 'application/json', 'Content-Length', String(Buffer.byteLength(body)), ...headers]);
  res.end(body);
}

/** A raw HTTP/1.1 error response for a socket the HTTP parser gave up on; the connection closes after it. */
export function rawErrorResponse(status: number, reason: string, code: string, message: string): string {
  const body = errorBody(status, code, message);
  return (
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `Connection: close\r\n\r\n${body}`
  );
}
