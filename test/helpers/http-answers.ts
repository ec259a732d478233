/** One HTTP/1.1 answer read off a raw socket. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Split a stream of HTTP/1.1 answers (each with Content-Length) into parts. */
export function httpAnswers(text: string): HttpAnswer[] {
  const out: HttpAnswer[] = [];
  let i = 0;
  while (i < text.length) {
    const he = text.indexOf('\r\n\r\n', i);
    if (he < 0) throw new Error(`incomplete answer head at ${i}: ${JSON.stringify(text.slice(i, i + 80))}`);
    const [statusLine, ...lines] = text.slice(i, he).split('\r\n');
    const headers: Record<string, string> = {};
    for (const l of lines) {
      const c = l.indexOf(':');
      headers[l.slice(0, c).toLowerCase()] = l.slice(c + 1).trim();
    }
    // 1xx interim answers (100 Continue) have no body
    const len = Number(headers['content-length'] ?? 0);
    out.push({ status: Number(statusLine!.split(' ')[1]), headers, body: text.slice(he + 4, he + 4 + len) });
    i = he + 4 + len;
  }
  return out;
}
