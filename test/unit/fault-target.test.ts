import { describe, expect, it } from 'vitest';
import { checkFaultsServed, parseFaultArg } from '../../src/faults/fault-spec.js';
import { faultLabel } from '../../src/faults/fault-runner.js';
import { checkTargetFaults, type TargetSetup } from '../../src/faults/target-stand.js';
import { checkUniqueNames, isLoopbackHost, parseHookFlag, parseProxyFlag } from '../../src/faults/target-flags.js';
import { labelLanes } from '../../src/report/label-lanes.js';

const code = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (err) {
    return `${(err as { code?: string }).code}: ${(err as Error).message}`;
  }
  return undefined;
};

const setup = (over: Partial<TargetSetup> = {}): TargetSetup => ({
  url: 'http://127.0.0.1:8090',
  command: 'node shop.mjs',
  proxies: [parseProxyFlag('db=127.0.0.1:15432->127.0.0.1:5432')],
  hooks: [parseHookFlag('failover=./promote.sh')],
  ...over,
});

describe('faults on a target the run owns: syntax', () => {
  it('parses kind[:name]@at[+duration][:latency] and prints it back the same way', () => {
    expect(parseFaultArg('kill-target@2s')).toEqual({ kind: 'kill-target', atMs: 2000 });
    expect(parseFaultArg('pause-target@1s+500ms')).toEqual({ kind: 'pause-target', atMs: 1000, durationMs: 500 });
    expect(parseFaultArg('cut:db@2s+2s')).toEqual({ kind: 'cut', name: 'db', atMs: 2000, durationMs: 2000 });
    expect(parseFaultArg('slow:db@1s+3s:200ms')).toEqual({ kind: 'slow', name: 'db', atMs: 1000, durationMs: 3000, latencyMs: 200 });
    expect(parseFaultArg('hook:failover@3s')).toEqual({ kind: 'hook', name: 'failover', atMs: 3000 });
    for (const s of ['kill-target@2s', 'restart-target@1500ms', 'cut:db@2s+2s', 'drop:cache@1s+1s', 'slow:db@1s+3s:200ms', 'hook:failover@3s']) expect(faultLabel(parseFaultArg(s))).toBe(s);
  });

  it('refuses a missing or extra name, duration or latency (E_FAULT)', () => {
    expect(code(() => parseFaultArg('cut@2s+2s'))).toMatch(/^E_FAULT: .*cut acts on a named proxy \(--proxy NAME=…\): write cut:NAME@…/);
    expect(code(() => parseFaultArg('hook@2s'))).toMatch(/^E_FAULT: .*named hook \(--fault-hook NAME=…\)/);
    expect(code(() => parseFaultArg('kill-target:x@2s'))).toMatch(/^E_FAULT: .*kill-target takes no name/);
    expect(code(() => parseFaultArg('kill-target@2s+1s'))).toMatch(/instant; it takes no duration/);
    expect(code(() => parseFaultArg('pause-target@2s'))).toMatch(/give its duration/);
    expect(code(() => parseFaultArg('slow:db@1s+2s'))).toMatch(/slow needs its added latency \(e\.g\. slow:db@1s\+3s:200ms\)/);
    expect(code(() => parseFaultArg('drop:db@1s+2s:5ms'))).toMatch(/only slow-db and slow take a latency/);
  });

  it('bundled faults need --serve, target faults need something the run owns', () => {
    expect(code(() => checkFaultsServed([parseFaultArg('kill-target@2s')], false, false))).toMatch(/^E_FAULT: .*give --target-cmd, --proxy or --fault-hook/);
    expect(code(() => checkFaultsServed([parseFaultArg('kill-serve@2s')], false, true))).toMatch(/^E_FAULT: .*add --serve.*for your own service use --target-cmd/);
    expect(code(() => checkFaultsServed([parseFaultArg('cut:db@2s+1s')], true, false))).toMatch(/^E_FAULT: .*not on --serve's bundled server/);
    expect(code(() => checkFaultsServed([parseFaultArg('cut:db@2s+1s')], false, true))).toBeUndefined();
  });
});

describe('faults on a target the run owns: what they may touch', () => {
  it('accepts every kind when the run started the service, owns the proxy and has the hook', () => {
    const all = ['kill-target@1s', 'pause-target@2s+1s', 'restart-target@4s', 'cut:db@5s+1s', 'slow:db@7s+1s:50ms', 'drop:db@9s+1s', 'hook:failover@11s'].map(parseFaultArg);
    expect(code(() => checkTargetFaults(all, setup()))).toBeUndefined();
  });

  it('without --target-cmd only proxy and hook faults, with a clear error for the others', () => {
    const noCmd = setup({ command: undefined });
    for (const f of ['kill-target@1s', 'pause-target@1s+1s', 'restart-target@1s']) {
      expect(code(() => checkTargetFaults([parseFaultArg(f)], noCmd))).toMatch(/^E_FAULT: .*the run did not start the service: give --target-cmd \(without it only proxy faults and hook faults are allowed\)/);
    }
    expect(code(() => checkTargetFaults([parseFaultArg('cut:db@1s+1s'), parseFaultArg('hook:failover@3s')], noCmd))).toBeUndefined();
  });

  it('a target that is not loopback refuses process and proxy faults, but runs hooks', () => {
    const remote = setup({ url: 'http://10.1.2.3:8080' });
    expect(code(() => checkTargetFaults([parseFaultArg('kill-target@1s')], remote))).toMatch(/^E_FAULT: .*10\.1\.2\.3 is not loopback; process faults/);
    expect(code(() => checkTargetFaults([parseFaultArg('cut:db@1s+1s')], remote))).toMatch(/^E_FAULT: .*10\.1\.2\.3 is not loopback; proxy faults/);
    expect(code(() => checkTargetFaults([parseFaultArg('hook:failover@1s')], remote))).toBeUndefined();
  });

  it('names a proxy or hook that was not given, and lists those that were', () => {
    expect(code(() => checkTargetFaults([parseFaultArg('cut:cache@1s+1s')], setup()))).toMatch(/^E_FAULT: --fault cut:cache: no --proxy cache=LISTEN->UPSTREAM \(proxies: db\)/);
    expect(code(() => checkTargetFaults([parseFaultArg('hook:reboot@1s')], setup()))).toMatch(/^E_FAULT: --fault hook:reboot: no --fault-hook reboot='<command>' \(hooks: failover\)/);
  });
});

describe('--proxy and --fault-hook flags', () => {
  it('parses NAME=LISTEN->UPSTREAM on loopback, IPv4 and IPv6', () => {
    expect(parseProxyFlag('db=127.0.0.1:13306->127.0.0.1:3306')).toEqual({ name: 'db', listen: { host: '127.0.0.1', port: 13306 }, upstream: { host: '127.0.0.1', port: 3306 } });
    expect(parseProxyFlag('cache=[::1]:16379->localhost:6379')).toEqual({ name: 'cache', listen: { host: '::1', port: 16379 }, upstream: { host: 'localhost', port: 6379 } });
    expect(isLoopbackHost('127.8.9.10')).toBe(true);
    expect(isLoopbackHost('128.0.0.1')).toBe(false);
  });

  it('refuses a proxy off this machine, a malformed one and duplicates (E_PROXY)', () => {
    expect(code(() => parseProxyFlag('db=127.0.0.1:13306->10.0.0.5:3306'))).toMatch(/^E_PROXY: .*upstream 10\.0\.0\.5 is not loopback/);
    expect(code(() => parseProxyFlag('db=0.0.0.0:13306->127.0.0.1:3306'))).toMatch(/^E_PROXY: .*listen address 0\.0\.0\.0 is not loopback/);
    expect(code(() => parseProxyFlag('db=127.0.0.1:13306'))).toMatch(/^E_PROXY: .*NAME=LISTEN->UPSTREAM/);
    expect(code(() => parseProxyFlag('db=127.0.0.1:99999->127.0.0.1:3306'))).toMatch(/^E_PROXY: .*host:port/);
    expect(code(() => parseProxyFlag('d b=127.0.0.1:1->127.0.0.1:2'))).toMatch(/^E_PROXY: .*letters, digits/);
    expect(code(() => parseProxyFlag('db=127.0.0.1:3306->127.0.0.1:3306'))).toMatch(/^E_PROXY: .*its own upstream/);
    const p = (s: string) => parseProxyFlag(s);
    expect(code(() => checkUniqueNames([p('db=127.0.0.1:1->127.0.0.1:2'), p('db=127.0.0.1:3->127.0.0.1:2')], []))).toMatch(/^E_PROXY: --proxy db: given twice/);
    expect(code(() => checkUniqueNames([p('a=127.0.0.1:1->127.0.0.1:2'), p('b=127.0.0.1:1->127.0.0.1:4')], []))).toMatch(/^E_PROXY: .*listen address of another proxy/);
  });

  it("parses NAME='command' and refuses a hook without either", () => {
    expect(parseHookFlag("failover=systemctl restart shop && echo 'ok=yes'")).toEqual({ name: 'failover', command: "systemctl restart shop && echo 'ok=yes'" });
    expect(code(() => parseHookFlag('failover='))).toMatch(/^E_FAULT_HOOK: /);
    expect(code(() => parseHookFlag('=ls'))).toMatch(/^E_FAULT_HOOK: /);
    expect(code(() => checkUniqueNames([], [parseHookFlag('a=x'), parseHookFlag('a=y')]))).toMatch(/^E_FAULT_HOOK: --fault-hook a: given twice/);
  });
});

describe('fault labels on the HTML chart', () => {
  it('labels that would overlap go to the next lane; those with room stay on the first', () => {
    expect(labelLanes([{ x: 0, width: 50 }, { x: 30, width: 50 }, { x: 60, width: 20 }, { x: 100, width: 10 }])).toEqual([0, 1, 0, 0]);
    expect(labelLanes([{ x: 0, width: 80 }, { x: 10, width: 80 }, { x: 20, width: 80 }])).toEqual([0, 1, 2]);
  });
});
