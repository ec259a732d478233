#!/usr/bin/env bash
# One-step set-up on a fresh Debian machine with Node 20 (run as root, or with sudo available).
#   bash scripts/setup.sh          installs redis-server if missing, npm ci (which builds dist/)
#   bash scripts/setup.sh --test   also what the tests need: chromium, and the local
#                                  Redis / PostgreSQL / MariaDB services started if they are down
# Either way it puts `coupon-bench` on PATH (npm link: a symlink in npm's global bin folder to this
# checkout, or ~/.local/bin when that folder is not writable); COUPON_BENCH_NO_LINK=1 skips it.
set -euo pipefail
cd "$(dirname "$0")/.."
want_test=0
[[ "${1:-}" == "--test" ]] && want_test=1

SUDO=""
if [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null; then SUDO=sudo; fi

pkgs=()
command -v redis-server >/dev/null || pkgs+=(redis-server)
if ((want_test)); then
  command -v chromium >/dev/null || pkgs+=(chromium)
fi
# Most of a first set-up is npm ci compiling better-sqlite3's SQLite from source (its prebuilt
# binaries are fetched from GitHub, which a registry-only machine cannot reach): the Debian
# packages install meanwhile instead of before it.
apt_pid=""
if ((${#pkgs[@]})); then
  echo "setup: installing ${pkgs[*]} from Debian's packages (alongside npm ci)"
  export DEBIAN_FRONTEND=noninteractive
  ( $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null ) &
  apt_pid=$!
fi

# prebuild-install (better-sqlite3's install step) unpacks a binary from this folder before it
# tries GitHub; keep-sqlite-binary.mjs puts the one compiled here into it, so the next set-up on this
# machine (a clean clone, a CI run) skips the compile.
prebuilds="${COUPON_BENCH_PREBUILDS:-${XDG_CACHE_HOME:-$HOME/.cache}/coupon-bench/prebuilds}"
# SQLite is one 9 MB C file that better-sqlite3 compiles at -O3; at -O2 (SQLite's own default) it
# compiles about 12 s sooner and the persister drained as fast (docs/setup.md).
# A CFLAGS of your own wins.
export CFLAGS="${CFLAGS:--O2}"
export JOBS=max # node-gyp compiles better_sqlite3.cpp beside sqlite3.c

# npm ci runs the `prepare` script, which builds dist/.
SECONDS=0
# prebuild-install finds its settings in a .prebuild-installrc up the tree from the package (an
# environment variable would be npm_config_…, which npm warns about, or a name sh drops).
rcfile=.prebuild-installrc
printf 'local-prebuilds=%s\n' "$prebuilds" >"$rcfile"
trap 'rm -f "$rcfile"' EXIT
npm ci --no-audit --no-fund
rm -f "$rcfile"
trap - EXIT
echo "setup: npm ci and build took ${SECONDS} s"
node scripts/keep-sqlite-binary.mjs "$prebuilds"

# The README's commands call `coupon-bench`: link this checkout's bin onto PATH (scripts skipped: built above).
if [[ -z "${COUPON_BENCH_NO_LINK:-}" ]]; then
  if npm link --no-audit --no-fund --ignore-scripts >/dev/null 2>&1; then
    bin="$(npm prefix -g)/bin"
  else
    bin="$HOME/.local/bin"
    mkdir -p "$bin" && ln -sf "$PWD/bin/coupon-bench.js" "$bin/coupon-bench"
  fi
  case ":$PATH:" in
    *":$bin:"*) echo "setup: coupon-bench is on PATH ($bin/coupon-bench -> $PWD)" ;;
    *) echo "setup: coupon-bench linked in $bin, which is not on PATH: add it (export PATH=\"$bin:\$PATH\") or run node bin/coupon-bench.js" ;;
  esac
fi
if [[ -n "$apt_pid" ]] && ! wait "$apt_pid"; then
  echo "setup: installing ${pkgs[*]} with apt-get failed" >&2
  exit 1
fi

if ((want_test)); then
  # Services the integration tests talk to (URLs overridable: REDIS_URL, PG_URL, MYSQL_URL).
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    echo "setup: starting Redis on 127.0.0.1:6379"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log
  fi
  if command -v pg_ctlcluster >/dev/null && ! pg_isready -h 127.0.0.1 -q 2>/dev/null; then
    echo "setup: starting PostgreSQL"
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  if command -v mariadbd >/dev/null && ! mariadb-admin -uroot -h127.0.0.1 ping >/dev/null 2>&1; then
    echo "setup: starting MariaDB"
    $SUDO start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
    for _ in $(seq 1 30); do mariadb-admin -uroot -h127.0.0.1 ping >/dev/null 2>&1 && break; sleep 1; done
  fi
fi
