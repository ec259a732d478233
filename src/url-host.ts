/** The host of a URL as net.connect wants it: IPv6 literals without their brackets. */
export function connectHost(url: URL): string {
  const h = url.hostname;
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}
