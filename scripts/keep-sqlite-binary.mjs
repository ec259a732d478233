// After `npm ci`: keep better-sqlite3's compiled binary where prebuild-install looks before it tries
// to download one (its local-prebuilds folder), so the next `npm ci` on this machine (a clean clone,
// a CI run) unpacks it in a second instead of compiling SQLite again. prebuild-install loads an
// unpacked binary before accepting it and falls back to compiling, so a bad file costs one compile.
//
//   node scripts/keep-sqlite-binary.mjs <folder>
//
// The file name is the one prebuild-install derives (package version, Node ABI, platform, libc,
// arch), computed with its own code, so a Node or better-sqlite3 upgrade misses and compiles.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';

const folder = process.argv[2];
if (!folder) {
  console.error('usage: node scripts/keep-sqlite-binary.mjs <folder>');
  process.exit(2);
}
const require = createRequire(import.meta.url);
const pkgDir = dirname(require.resolve('better-sqlite3/package.json'));
const pkg = require(join(pkgDir, 'package.json'));
const rc = require('prebuild-install/rc')(pkg);
const { getDownloadUrl } = require('prebuild-install/util');
const target = join(folder, basename(getDownloadUrl({ ...rc, pkg })));
// A from-source build leaves its object files; an unpacked prebuild has only the .node file.
const compiled = existsSync(join(pkgDir, 'build', 'Release', 'obj.target'));

// The binary must load and answer before it is kept.
const Database = require('better-sqlite3');
const db = new Database(':memory:');
const { v } = db.prepare('select sqlite_version() as v').get();
db.close();

if (!compiled) {
  console.log(`setup: better-sqlite3 (SQLite ${v}) unpacked from ${target}, no compile`);
} else {
  // Compiled although a kept binary exists: prebuild-install refused it (it did not load), so the
  // fresh one replaces it.
  const replaced = existsSync(target);
  mkdirSync(folder, { recursive: true });
  const tmp = `${target}.${process.pid}.tmp`;
  try {
    execFileSync('tar', ['-czf', tmp, '-C', pkgDir, 'build/Release/better_sqlite3.node']);
    renameSync(tmp, target);
  } finally {
    rmSync(tmp, { force: true });
  }
  console.log(
    `setup: better-sqlite3 (SQLite ${v}) compiled; ${replaced ? 'replaced the refused binary in' : 'kept in'} ` +
      `${target} for the next set-up here`,
  );
}
