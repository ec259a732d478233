// Shared by the serve benchmarks: child processes that print "listening on <url>", and wrk posting
// issue requests in which every request is a new user (a Lua script; each wrk run its own id range).
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Exit with a clear message when wrk is not installed. */
export function requireWrk() {
  if (spawnSync('wrk', ['--version']).error) {
    console.error('bench: wrk not found; install it with `apt-get install -y wrk`');
    process.exit(1);
  }
}

/** Start `node <argv>` and resolve once it prints "listening on <url>". */
export function startChild(argv, env = {}) {
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child did not start:\n${out}`)), 30_000);
    child.stdout.on('data', () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1] });
      }
    });
    child.once('exit', (code) => reject(new Error(`child exited ${code}:\n${out}`)));
  });
}

/** SIGTERM (drain), SIGKILL after `graceMs`; resolves once the child is gone. */
export async function stopChild(child, graceMs = 20_000) {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(t);
}

/**
 * A wrk runner for `dir` (the Lua script is written there): `wrk(url, seconds)` posts issue
 * requests on `connections` connections, one thread, and resolves with req/s, non-2xx answers and
 * socket errors. Requests go to the templates of `templateIds` in turn (template 1 by default).
 */
export function issueWrk(dir, connections, templateIds = [1]) {
  const lua = join(dir, `issue-${templateIds.join('-')}.lua`);
  // Every request gets a fresh userId, so `serve` really issues (no duplicate short-cut).
  writeFileSync(
    lua,
    `wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local n = 0
local base = 0
local ids = { ${templateIds.join(', ')} }
init = function(args)
  base = tonumber(args[1])
end
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, '{"userId":' .. (base + n) .. ',"templateId":' .. ids[n % #ids + 1] .. '}')
end
`,
  );
  let runs = 0;
  return (url, seconds) => {
    // each run its own userId range, so every request is a first attempt by a new user
    const base = String(++runs * 1_000_000_000);
    return new Promise((resolve, reject) => {
      const p = spawn('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '-s', lua, `${url}/api/coupons/issue`, '--', base]);
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      p.stderr.on('data', (d) => (out += d));
      p.once('exit', () => {
        const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
        if (!rps) return reject(new Error(`wrk output not understood:\n${out}`));
        const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
        const errors = /Socket errors: (.*)/.exec(out);
        resolve({ rps: Number(rps[1]), non2xx: non2xx ? Number(non2xx[1]) : 0, errors: errors ? errors[1] : 'none' });
      });
    });
  };
}
