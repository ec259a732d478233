import { isIP } from 'node:net';
import { UsageError } from '../errors.js';

/** One `--proxy NAME=LISTEN->UPSTREAM`: a loopback TCP proxy the run owns in front of a dependency. */
export interface ProxySpec {
  name: string;
  listen: { host: string; port: number };
  upstream: { host: string; port: number };
}

/** One `--fault-hook NAME='<command>'`: a shell command a `hook:NAME@T` fault runs. */
export interface HookSpec {
  name: string;
  command: string;
}

const NAME = /^[A-Za-z0-9_-]{1,40}$/;

/** 127.0.0.0/8, ::1 and localhost: the only addresses faults may touch. */
export function isLoopbackHost(host: string): boolean {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/** `127.0.0.1:13306` or `[::1]:13306` → host and port; loopback only. */
function hostPort(text: string, field: string, what: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:[\]]+):(\d{1,5})$/.exec(text.trim());
  const port = Number(m?.[2]);
  if (!m || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new UsageError(`${field}: the ${what} must be host:port, e.g. 127.0.0.1:13306`, 'E_PROXY');
  }
  const host = m[1] as string;
  if (!isLoopbackHost(host)) throw new UsageError(`${field}: the ${what} ${host} is not loopback: proxies only listen on and forward to this machine (127.0.0.1, ::1, localhost)`, 'E_PROXY');
  return { host: host.startsWith('[') ? host.slice(1, -1) : host, port };
}

/** Parse `--proxy db=127.0.0.1:13306->127.0.0.1:3306`. */
export function parseProxyFlag(text: string): ProxySpec {
  const field = `--proxy ${text}`;
  const m = /^([^=]+)=(.+)->(.+)$/.exec(text.trim());
  if (!m) throw new UsageError(`${field}: write it as NAME=LISTEN->UPSTREAM, e.g. db=127.0.0.1:13306->127.0.0.1:3306`, 'E_PROXY');
  const name = (m[1] as string).trim();
  if (!NAME.test(name)) throw new UsageError(`${field}: the name "${name}" must be letters, digits, _ or - (at most 40)`, 'E_PROXY');
  const listen = hostPort(m[2] as string, field, 'listen address');
  const upstream = hostPort(m[3] as string, field, 'upstream');
  if (listen.host === upstream.host && listen.port === upstream.port) throw new UsageError(`${field}: the proxy cannot listen on its own upstream`, 'E_PROXY');
  return { name, listen, upstream };
}

/** Parse `--fault-hook failover='systemctl restart shop'`. */
export function parseHookFlag(text: string): HookSpec {
  const at = text.indexOf('=');
  const name = at > 0 ? text.slice(0, at).trim() : '';
  const command = at > 0 ? text.slice(at + 1).trim() : '';
  if (!NAME.test(name) || command === '') {
    throw new UsageError(`--fault-hook ${text}: write it as NAME='<shell command>', e.g. failover='./promote-replica.sh'`, 'E_FAULT_HOOK');
  }
  return { name, command };
}

/** Names must be unique among the proxies, and among the hooks. */
export function checkUniqueNames(proxies: readonly ProxySpec[], hooks: readonly HookSpec[]): void {
  const seen = (list: ReadonlyArray<{ name: string }>, flag: string, code: string): void => {
    const names = new Set<string>();
    for (const { name } of list) {
      if (names.has(name)) throw new UsageError(`${flag} ${name}: given twice`, code);
      names.add(name);
    }
  };
  seen(proxies, '--proxy', 'E_PROXY');
  seen(hooks, '--fault-hook', 'E_FAULT_HOOK');
  const ports = new Set<string>();
  for (const p of proxies) {
    const key = `${p.listen.host}:${p.listen.port}`;
    if (ports.has(key)) throw new UsageError(`--proxy ${p.name}: ${key} is the listen address of another proxy`, 'E_PROXY');
    ports.add(key);
  }
}
