/** Helpers for store/persister integration tests: per-test databases and a cuttable TCP proxy. */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { MYSQL_URL, PG_URL } from '../helpers/env.js';
import type { StoreEngine } from '../../src/store/store.js';

/** A database of its own for one test, and how to drop it. */
export interface TestDb {
  readonly engine: StoreEngine;
  readonly url: string;
  /** host:port the engine listens on (for proxies) */
  readonly host: string;
  readonly port: number;
  /** Build the same database's URL through another host:port (a proxy). */
  viaPort(port: number): string;
  drop(): Promise<void>;
}

const withParam = (url: string, k: string, v: string): string => `${url}${url.includes('?') ? '&' : '?'}${k}=${v}`;

/** A fresh, empty database: SQLite temp file, PostgreSQL schema, or MySQL/MariaDB database. */
export function testDb(engine: StoreEngine): TestDb {
  const name = `cbt_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  switch (engine) {
    case 'sqlite': {
      const path = join(tmpdir(), `${name}.sqlite`);
      return {
        engine,
        url: `sqlite:${path}`,
        host: '',
        port: 0,
        viaPort: () => `sqlite:${path}`,
        drop: async () => {
          for (const s of ['', '-wal', '-shm']) rmSync(path + s, { force: true });
        },
      };
    }
    case 'postgres': {
      const u = new URL(PG_URL);
      const url = withParam(PG_URL, 'schema', name);
      return {
        engine,
        url,
        host: u.hostname,
        port: Number(u.port || 5432),
        viaPort: (port) => {
          const v = new URL(url);
          v.port = String(port);
          return v.toString();
        },
        drop: async () => {
          const c = new pg.Client({ connectionString: PG_URL });
          await c.connect();
          await c.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
          await c.end();
        },
      };
    }
    case 'mysql': {
      const u = new URL(MYSQL_URL);
      u.pathname = `/${name}`;
      const url = u.toString();
      return {
        engine,
        url,
        host: u.hostname,
        port: Number(u.port || 3306),
        viaPort: (port) => {
          const v = new URL(url);
          v.port = String(port);
          return v.toString();
        },
        drop: async () => {
          const c = await mysql.createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username || 'root'), password: decodeURIComponent(u.password) });
          await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
          await c.end();
        },
      };
    }
  }
}

/** A TCP proxy to a database that a test can cut (refuse + reset every connection) and restore. */
export interface CuttableProxy {
  readonly port: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startProxy(targetHost: string, targetPort: number): Promise<CuttableProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const s = createServer((client) => {
        const upstream = connect(targetPort, targetHost);
        sockets.add(client).add(upstream);
        const drop = (): void => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        client.pipe(upstream).pipe(client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as { port: number }).port;
        server = s;
        resolve();
      });
    });
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      sockets.clear();
      if (!server) return resolve();
      server.close(() => resolve());
      server = undefined;
    });
  await listen();
  return {
    get port() {
      return port;
    },
    cut: stop,
    restore: listen,
    close: stop,
  };
}
