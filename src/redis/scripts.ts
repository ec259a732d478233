import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Callback, Cluster, Redis, Result } from 'ioredis';
import { CouponBenchError } from '../errors.js';

/** Raw reply of `issue-4.lua`: [code, seq, issuedAtMs]. */
export type IssueReply = [number, number, number];
/** Raw reply of `createTemplate-4.lua`: [code, stock, issued]. */
export type CreateTemplateReply = [number, number, number];
/** Raw reply of `restoreTemplate-4.lua`: [code, stock, issued]. */
export type RestoreTemplateReply = [number, number, number];

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** lua/issue-4.lua */
    issue(
      stockKey: string,
      seqKey: string,
      usersKey: string,
      outboxKey: string,
      userId: string | number,
      templateId: string | number,
      callback?: Callback<IssueReply>,
    ): Result<IssueReply, Context>;
    /** lua/createTemplate-4.lua */
    createTemplate(
      stockKey: string,
      seqKey: string,
      usersKey: string,
      outboxKey: string,
      stock: string | number,
      group: string,
      callback?: Callback<CreateTemplateReply>,
    ): Result<CreateTemplateReply, Context>;
    /** lua/ackTrim-1.lua: XACK ids, XTRIM below the oldest unread or pending entry; returns XLEN */
    ackTrim(outboxKey: string, group: string, ...ids: (string | Buffer | Callback<number>)[]): Result<number, Context>;
    /** lua/raiseSeq-1.lua */
    raiseSeq(seqKey: string, seq: string | number, callback?: Callback<number>): Result<number, Context>;
    /** lua/restoreTemplate-4.lua */
    restoreTemplate(
      stockKey: string,
      seqKey: string,
      usersKey: string,
      outboxKey: string,
      stock: string | number,
      seq: string | number,
      group: string,
      callback?: Callback<RestoreTemplateReply>,
    ): Result<RestoreTemplateReply, Context>;
  }
}

/** Folder holding the bundled scripts (`lua/` at the package root, from both src/ and dist/). */
export const LUA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'lua');

/** One bundled Lua script as read from `lua/`. */
export interface ScriptSource {
  /** command name, from `name-N.lua` */
  readonly name: string;
  /** number of KEYS, from `name-N.lua` */
  readonly numberOfKeys: number;
  readonly lua: string;
}

/** Read every `name-N.lua` of a folder. Fails fast when the folder holds none. */
export function loadScripts(dir: string = LUA_DIR): ScriptSource[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.lua'));
  } catch (err) {
    throw new CouponBenchError('E_SCRIPTS', `cannot read Lua scripts folder ${dir}`, 1, { cause: err });
  }
  if (files.length === 0) throw new CouponBenchError('E_SCRIPTS', `no .lua files found in ${dir}`);
  return files.sort().map((file) => {
    const m = /^([A-Za-z][A-Za-z0-9]*)-(\d+)\.lua$/.exec(file);
    if (!m) throw new CouponBenchError('E_SCRIPTS', `script file ${file} must be named <command>-<numberOfKeys>.lua`);
    return { name: m[1]!, numberOfKeys: Number(m[2]), lua: readFileSync(join(dir, file), 'utf8') };
  });
}

let cached: ScriptSource[] | undefined;

/**
 * Register the bundled scripts on a client with `defineCommand`: ioredis sends EVALSHA and falls
 * back to EVAL on NOSCRIPT by itself.
 */
export function registerScripts(client: Redis | Cluster, scripts: ScriptSource[] = (cached ??= loadScripts())): void {
  for (const s of scripts) client.defineCommand(s.name, { numberOfKeys: s.numberOfKeys, lua: s.lua });
}
