import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { templateKeys } from '../../src/redis/keys.js';
import { HOLD_FROM_IN_FLIGHT, IssuePipeline, MAX_USERS_PER_CALL } from '../../src/server/issue-pipeline.js';
import type { IssueContext } from '../../src/server/issue-channel.js';

/** Parse complete RESP arrays of bulk strings (what clients send); returns commands and the rest. */
function parseCommands(buf: string): [string[][], string] {
  const cmds: string[][] = [];
  let i = 0;
  for (;;) {
    const start = i;
    if (buf[i] !== '*') break;
    const eol = buf.indexOf('\r\n', i);
    if (eol === -1) break;
    const n = Number(buf.slice(i + 1, eol));
    i = eol + 2;
    const args: string[] = [];
    let ok = true;
    for (let k = 0; k < n; k++) {
      const e = buf.indexOf('\r\n', i);
      if (e === -1) {
        ok = false;
        break;
      }
      const len = Number(buf.slice(i + 1, e));
      if (buf.length < e + 2 + len + 2) {
        ok = false;
        break;
      }
      args.push(buf.slice(e + 2, e + 2 + len));
      i = e + 2 + len + 2;
    }
    if (!ok) {
      i = start;
      break;
    }
    cmds.push(args);
  }
  return [cmds, buf.slice(i)];
}

/** A fake Redis whose answers the test scripts; replies are written byte by byte when asked. */
async function fakeRedis(answer: (cmd: string[], sock: Socket) => string | undefined, opts: { byteByByte?: boolean } = {}) {
  const seen: string[][] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    let buf = '';
    sock.on('data', (d) => {
      const [cmds, rest] = parseCommands(buf + d.toString());
      buf = rest;
      for (const c of cmds) {
        seen.push(c);
        const reply = answer(c, sock);
        if (reply === undefined) continue;
        if (opts.byteByByte) for (const ch of reply) sock.write(ch);
        else sock.write(reply);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `redis://127.0.0.1:${port}`,
    seen,
    dropClients: () => sockets.forEach((s) => s.destroy()),
    close: () => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))),
  };
}

interface Ctx extends IssueContext {
  result?: { err: Error | null; code: number; seq: number; ms: number };
}

const ctx = (userId: number, templateId = 1): Ctx => ({ issueKeys: templateKeys('fake', templateId), userId, templateId });
/** The userIds of an EVALSHA/EVAL of the issue script: ARGV[1], then ARGV[3..] (ARGV[2] is the templateId). */
const usersOf = (cmd: string[]): string[] => [cmd[7]!, ...cmd.slice(9)];
/** A script reply: `{code, seq, ms}` for each user. */
const scriptReply = (triples: [number, number, number | string][]): string =>
  `*${3 * triples.length}\r\n${triples.map((t) => t.map((v) => `:${v}\r\n`).join('')).join('')}`;
const handshake = (cmd: string[]): string | undefined => (cmd[0] === 'CLIENT' || cmd[0] === 'AUTH' || cmd[0] === 'SELECT' ? '+OK\r\n' : undefined);

describe('IssuePipeline against a scripted fake Redis', () => {
  let cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup) await c();
    cleanup = [];
  });

  function pipeline(url: string, timeoutMs = 100): IssuePipeline<Ctx> {
    const p = new IssuePipeline<Ctx>({ url, timeoutMs, onReply: (c, err, code, seq, ms) => (c.result = { err, code, seq, ms }) });
    cleanup.push(async () => p.close());
    return p;
  }
  const settle = async (cs: Ctx[], ms = 3000): Promise<void> => {
    const deadline = Date.now() + ms;
    while (cs.some((c) => !c.result) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  };

  it('authenticates, selects the db, and matches pipelined replies split byte by byte in order', async () => {
    let seq = 0;
    const f = await fakeRedis(
      (cmd) => handshake(cmd) ?? scriptReply(usersOf(cmd).map((u) => [1, ++seq, `1700000000${u.padStart(3, '0')}`])),
      { byteByByte: true },
    );
    cleanup.push(f.close);
    const p = pipeline(f.url.replace('redis://', 'redis://user:p%40ss@') + '/3');
    await p.ready(3000);
    expect(f.seen.slice(0, 2)).toEqual([['AUTH', 'user', 'p@ss'], ['SELECT', '3']]);
    // Three users in one loop turn, two in the next: one script call each turn, users in order.
    const cs = [1, 2, 3, 4, 5].map((u) => ctx(u));
    for (const c of cs.slice(0, 3)) p.issue(c);
    await new Promise((r) => setTimeout(r, 20));
    for (const c of cs.slice(3)) p.issue(c);
    await settle(cs);
    expect(cs.map((c) => c.result)).toEqual([1, 2, 3, 4, 5].map((u) => ({ err: null, code: 1, seq: u, ms: Number(`1700000000${String(u).padStart(3, '0')}`) })));
    const calls = f.seen.filter((c) => c[0] === 'EVALSHA');
    expect(calls.map((c) => c.slice(2))).toEqual([
      ['4', 'fake:{t1}:stock', 'fake:{t1}:seq', 'fake:{t1}:users', 'fake:{t1}:outbox', '1', '1', '2', '3'],
      ['4', 'fake:{t1}:stock', 'fake:{t1}:seq', 'fake:{t1}:users', 'fake:{t1}:outbox', '4', '1', '5'],
    ]);
  });

  it('groups a loop turn by template, in calls of at most MAX_USERS_PER_CALL, and fails only the call whose reply is wrong', async () => {
    const f = await fakeRedis((cmd) => {
      if (handshake(cmd)) return handshake(cmd);
      const users = usersOf(cmd);
      // A reply one triple short for template 3: its call's users get an error, nobody else.
      if (cmd[8] === '3') return scriptReply(users.slice(1).map(() => [1, 1, 1]));
      return scriptReply(users.map((u) => [1, Number(u), Number(cmd[8])]));
    });
    cleanup.push(f.close);
    const p = pipeline(f.url);
    await p.ready(3000);
    const t1 = Array.from({ length: MAX_USERS_PER_CALL + 3 }, (_, i) => ctx(100 + i, 1));
    const t2 = [ctx(7, 2), ctx(8, 2)];
    const t3 = [ctx(9, 3), ctx(10, 3)];
    // Interleaved arrivals, one loop turn.
    const all = [t1[0]!, t2[0]!, ...t1.slice(1, 50), t3[0]!, t2[1]!, ...t1.slice(50), t3[1]!];
    for (const c of all) p.issue(c);
    await settle(all);
    const calls = f.seen.filter((c) => c[0] === 'EVALSHA').map((c) => ({ tpl: c[8], users: usersOf(c).map(Number) }));
    expect(calls).toEqual([
      { tpl: '1', users: t1.slice(0, MAX_USERS_PER_CALL).map((c) => c.userId) },
      { tpl: '1', users: t1.slice(MAX_USERS_PER_CALL).map((c) => c.userId) },
      { tpl: '2', users: [7, 8] },
      { tpl: '3', users: [9, 10] },
    ]);
    for (const c of [...t1, ...t2]) expect(c.result).toEqual({ err: null, code: 1, seq: c.userId, ms: c.templateId });
    for (const c of t3) expect(c.result?.err?.message).toMatch(/unexpected reply/);
  });

  it('resends as EVAL on NOSCRIPT and passes other errors through', async () => {
    const f = await fakeRedis((cmd) => {
      if (handshake(cmd)) return handshake(cmd);
      if (cmd[0] === 'EVALSHA') return usersOf(cmd).includes('3') ? '-WRONGTYPE Operation against a key\r\n' : '-NOSCRIPT No matching script\r\n';
      if (cmd[0] === 'EVAL') return scriptReply(usersOf(cmd).map((u) => [2, 7 * Number(u), 0]));
      return '-ERR unknown\r\n';
    });
    cleanup.push(f.close);
    const p = pipeline(f.url);
    await p.ready(3000);
    const [a, b] = [ctx(1), ctx(2)];
    p.issue(a);
    p.issue(b);
    await settle([a, b]);
    expect(a.result).toEqual({ err: null, code: 2, seq: 7, ms: 0 });
    expect(b.result).toEqual({ err: null, code: 2, seq: 14, ms: 0 });
    const evalCall = f.seen.find((c) => c[0] === 'EVAL')!;
    expect(evalCall[1]).toContain('Issue coupons of one template');
    expect(usersOf(evalCall)).toEqual(['1', '2']);
    const c = ctx(3);
    p.issue(c);
    await settle([c]);
    expect(c.result?.err?.message).toMatch(/^WRONGTYPE/);
  });

  it('answers waiting commands when the connection drops, reconnects, and fails fast while Redis is silent', async () => {
    let silent = true;
    const f = await fakeRedis((cmd) => handshake(cmd) ?? (silent ? undefined : '*3\r\n:1\r\n:1\r\n:1\r\n'));
    cleanup.push(f.close);
    const p = pipeline(f.url, 100);
    await p.ready(3000);
    const dropped = ctx(1);
    p.issue(dropped);
    await new Promise((r) => setTimeout(r, 10));
    f.dropClients();
    await settle([dropped]);
    expect(dropped.result?.err?.message).toMatch(/connection lost/);
    await p.ready(3000);

    const hung = ctx(2);
    const t0 = Date.now();
    p.issue(hung);
    await settle([hung]);
    expect(hung.result?.err?.message).toMatch(/did not answer within 100 ms/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90); // not before the timeout

    silent = false;
    f.dropClients();
    await new Promise((r) => setTimeout(r, 20));
    await p.ready(3000);
    const ok = ctx(3);
    p.issue(ok);
    await settle([ok]);
    expect(ok.result).toEqual({ err: null, code: 1, seq: 1, ms: 1 });
  });

  it('writes new commands while earlier ones await a slow reply; holds them only from HOLD_FROM_IN_FLIGHT users in flight', async () => {
    // Redis answers only when the test says so: calls pile up in `held`.
    const held: { sock: Socket; users: number }[] = [];
    let answered = 0;
    const f = await fakeRedis((cmd, sock) => {
      if (handshake(cmd)) return handshake(cmd);
      held.push({ sock, users: usersOf(cmd).length });
      return undefined;
    });
    cleanup.push(f.close);
    const p = pipeline(f.url, 5000);
    await p.ready(3000);
    const calls = (): string[][] => f.seen.filter((c) => c[0] === 'EVALSHA');
    const seenUsers = (): number => calls().reduce((n, c) => n + usersOf(c).length, 0);
    const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 20));
    // Bytes reach the fake Redis when the machine gets to them: wait for what must arrive (bounded).
    const until = async (cond: () => boolean): Promise<void> => {
      for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
    };

    // One call in flight and unanswered: the next, issued in a later loop turn, still goes out.
    const first = ctx(1);
    p.issue(first);
    await until(() => calls().length >= 1);
    const second = ctx(2);
    p.issue(second);
    await until(() => calls().length >= 2);
    expect(calls()).toHaveLength(2);

    // Up to the threshold everything is written; beyond it, users wait for Redis's next replies.
    const more = Array.from({ length: HOLD_FROM_IN_FLIGHT + 5 }, (_, i) => ctx(3 + i));
    for (const c of more.slice(0, HOLD_FROM_IN_FLIGHT - 2)) p.issue(c);
    await until(() => seenUsers() >= HOLD_FROM_IN_FLIGHT);
    await tick();
    expect(seenUsers()).toBe(HOLD_FROM_IN_FLIGHT);
    expect(calls()).toHaveLength(3);
    for (const c of more.slice(HOLD_FROM_IN_FLIGHT - 2)) p.issue(c);
    await tick();
    expect(seenUsers()).toBe(HOLD_FROM_IN_FLIGHT);

    // A reply releases the held users in one call; every user gets its own answer, in order.
    const answer = (): void => {
      for (const h of held.splice(0)) h.sock.write(scriptReply(Array.from({ length: h.users }, () => [1, ++answered, 1])));
    };
    answer();
    await until(() => seenUsers() >= HOLD_FROM_IN_FLIGHT + 7);
    await tick();
    expect(seenUsers()).toBe(HOLD_FROM_IN_FLIGHT + 7);
    expect(calls()).toHaveLength(4);
    answer();
    const all = [first, second, ...more];
    await settle(all);
    expect(all.map((c) => c.result?.seq)).toEqual(all.map((_, i) => i + 1));
  });

  it('drops the connection when the reply stream is garbled', async () => {
    const f = await fakeRedis((cmd) => handshake(cmd) ?? '?garbage\r\n');
    cleanup.push(f.close);
    const p = pipeline(f.url);
    await p.ready(3000);
    const c = ctx(1);
    p.issue(c);
    await settle([c]);
    expect(c.result?.err).toBeTruthy();
  });
});
