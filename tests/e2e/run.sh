#!/usr/bin/env bash
# Desktop end-to-end test of Grantry: drives the real app window through tauri-driver and
# WebKitWebDriver, against a throwaway TLS+SCRAM PostgreSQL (pg-cluster) and the app's own sandbox.
#
# Run AFTER the UI and the app have been built:
#   (cd ui && npm ci && npm run build)
#   cargo build -p grantry-app --features custom-protocol
#   cargo build -p grantry-testrig
#   bash tests/e2e/run.sh
#
# Needs: node + npm, webkit2gtk-driver (WebKitWebDriver), xvfb (xvfb-run), dbus (dbus-run-session),
# gnome-keyring, PostgreSQL server binaries (the sandbox and pg-cluster).
#
# Environment (all optional):
#   GRANTRY_APP        app binary            (default: target/debug/grantry-app)
#   PG_CLUSTER         pg-cluster binary     (default: target/debug/pg-cluster)
#   WEBKIT_DRIVER      native driver         (default: WebKitWebDriver on PATH, else /usr/bin/WebKitWebDriver)
#   E2E_SCREENSHOTS    screenshot directory  (default: tests/e2e/screenshots)
#   E2E_DRIVER_PORT    tauri-driver port     (default: first free of 4444, 4454, ...)
#   E2E_KEEP_TMP=1     keep the throwaway directory (logs, GRANTRY_HOME) after the run
#   GRANTRY_WEBKIT_COMPOSITING  1 (default here): the app keeps WebKit's accelerated compositing,
#                      without which each WebDriver screenshot takes minutes; 0 runs the app as it
#                      ships (compositing off), for the memory row of docs/benchmarks.md
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

log() { printf '[e2e] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }

# --- outer part: checks, dependencies, then re-run inside Xvfb + a private D-Bus session ---------
if [[ -z "${GRANTRY_E2E_INNER:-}" ]]; then
  export GRANTRY_APP=${GRANTRY_APP:-$ROOT/target/debug/grantry-app}
  export GRANTRY_WEBKIT_COMPOSITING=${GRANTRY_WEBKIT_COMPOSITING:-1}
  export PG_CLUSTER=${PG_CLUSTER:-$ROOT/target/debug/pg-cluster}
  if [[ -z "${WEBKIT_DRIVER:-}" ]]; then
    WEBKIT_DRIVER=$(command -v WebKitWebDriver || echo /usr/bin/WebKitWebDriver)
  fi
  export WEBKIT_DRIVER
  E2E_SCREENSHOTS=${E2E_SCREENSHOTS:-$HERE/screenshots}
  mkdir -p "$E2E_SCREENSHOTS"
  E2E_SCREENSHOTS=$(cd "$E2E_SCREENSHOTS" && pwd)
  export E2E_SCREENSHOTS

  [[ -x "$GRANTRY_APP" ]] || die "app binary not found: $GRANTRY_APP (cargo build -p grantry-app --features custom-protocol)"
  [[ -x "$PG_CLUSTER" ]] || die "pg-cluster not found: $PG_CLUSTER (cargo build -p grantry-testrig)"
  [[ -x "$WEBKIT_DRIVER" ]] || die "WebKitWebDriver not found (apt-get install webkit2gtk-driver)"
  for tool in node npm xvfb-run dbus-run-session gnome-keyring-daemon; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
  done

  if [[ ! -d "$HERE/node_modules/@crabnebula/tauri-driver" || ! -d "$HERE/node_modules/selenium-webdriver" ]]; then
    log "installing test dependencies"
    if [[ -f "$HERE/package-lock.json" ]]; then
      # Not `npm ci`: @crabnebula/tauri-driver names per-platform optional packages of which only
      # linux-x64-gnu is published, so the others are missing from the lock and `npm ci` refuses
      # it as out of sync. `npm install --no-save` installs the locked versions, lock untouched.
      (cd "$HERE" && npm install --no-save --no-audit --no-fund --loglevel=error) >&2
    else
      (cd "$HERE" && npm install --no-audit --no-fund --loglevel=error) >&2
    fi
  fi

  export GRANTRY_E2E_INNER=1
  E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/grantry-e2e.XXXXXX")
  export E2E_TMP
  # The session bus and the services it starts (portals, a11y) are chatty on stderr: their output
  # goes to a log file, while the test itself writes to the real stdout/stderr (kept on fds 5/4).
  exec 4>&2 5>&1
  exec xvfb-run -a -s "-screen 0 1920x1080x24" dbus-run-session -- bash "$HERE/run.sh" "$@" \
    >>"$E2E_TMP/session-bus.log" 2>&1
fi

# --- inner part: runs inside xvfb-run + dbus-run-session -----------------------------------------
exec 1>&5 2>&4 4>&- 5>&-
T0=$SECONDS
TMP=$E2E_TMP
mkdir -p "$TMP/home" "$TMP/xdg/data" "$TMP/xdg/config" "$TMP/xdg/cache" "$TMP/xdg/run" "$E2E_SCREENSHOTS"
chmod 700 "$TMP/xdg/run"
export XDG_DATA_HOME=$TMP/xdg/data XDG_CONFIG_HOME=$TMP/xdg/config XDG_CACHE_HOME=$TMP/xdg/cache
export XDG_RUNTIME_DIR=$TMP/xdg/run
export GRANTRY_HOME=$TMP/home
export NO_AT_BRIDGE=1

DRIVER_PID=""
PG_PID=""

stop_sandbox() {
  # The app's sandbox cluster outlives the app (pg_ctl daemonizes it): stop it and drop its files.
  local f=$GRANTRY_HOME/sandbox.json base bindir
  [[ -f "$f" ]] || return 0
  base=$(node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));console.log(j.base_dir||"")' "$f" 2>/dev/null || true)
  bindir=$(node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));console.log(j.bindir||"")' "$f" 2>/dev/null || true)
  [[ -n "$base" && -n "$bindir" && -f "$base/data/postmaster.pid" ]] || return 0
  log "stopping the sandbox cluster in $base"
  if [[ $(id -u) -eq 0 ]]; then
    timeout 30 runuser -u postgres -- "$bindir/pg_ctl" -D "$base/data" -m immediate -w -t 20 stop >/dev/null 2>&1 || true
  else
    timeout 30 "$bindir/pg_ctl" -D "$base/data" -m immediate -w -t 20 stop >/dev/null 2>&1 || true
  fi
  case "$base" in
    "$TMP"/*|/var/tmp/grantry-sandbox-*) [[ -n "${E2E_KEEP_TMP:-}" ]] || rm -rf "$base" ;;
  esac
}

cleanup() {
  local rc=$?
  set +e
  if [[ -n "$DRIVER_PID" ]] && kill -0 "$DRIVER_PID" 2>/dev/null; then
    # tauri-driver runs in its own process group with WebKitWebDriver (and the app, if still open).
    kill -TERM -- "-$DRIVER_PID" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$DRIVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$DRIVER_PID" 2>/dev/null
  fi
  stop_sandbox
  # Closing pg-cluster's stdin makes it stop its cluster and exit.
  exec 3>&-
  if [[ -n "$PG_PID" ]]; then
    for _ in $(seq 1 150); do kill -0 "$PG_PID" 2>/dev/null || break; sleep 0.1; done
    kill -TERM "$PG_PID" 2>/dev/null
  fi
  if [[ -n "${E2E_KEEP_TMP:-}" || $rc -ne 0 ]]; then
    log "logs and data kept in $TMP"
  else
    rm -rf "$TMP"
  fi
  log "total $((SECONDS - T0)) s, exit $rc"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Unlock a fresh login keyring so the app can store passwords in the Secret Service.
printf %s "e2e-keyring-pw" | gnome-keyring-daemon --unlock --components=secrets >/dev/null

# Throwaway PostgreSQL for the wizard; it lives until its stdin (fd 3, a fifo) closes.
mkfifo "$TMP/pg.in"
"$PG_CLUSTER" <"$TMP/pg.in" >"$TMP/pg.json" 2>"$TMP/pg-cluster.log" &
PG_PID=$!
exec 3>"$TMP/pg.in"
PG_JSON=""
for _ in $(seq 1 600); do # up to 60 s
  if [[ -s "$TMP/pg.json" ]]; then PG_JSON=$(head -n 1 "$TMP/pg.json"); [[ "$PG_JSON" == *"}"* ]] && break; fi
  kill -0 "$PG_PID" 2>/dev/null || break
  sleep 0.1
done
if [[ "$PG_JSON" != *"}"* ]]; then
  tail -n 30 "$TMP/pg-cluster.log" >&2
  die "pg-cluster did not report its connection settings"
fi
export E2E_PG="$PG_JSON"
# The app reaches the rig's Entra ID authority over HTTPS and verifies the Azure front's
# certificate against the system roots: both are the rig CA's, which SSL_CERT_FILE makes the
# system roots of the app (azure_core's client and OpenSSL both read it).
SSL_CERT_FILE=$(node -e 'console.log(JSON.parse(process.argv[1]).ca_cert)' "$PG_JSON")
export SSL_CERT_FILE
# Lines written to pg.in drive that server ("stop", "start"); pg-cluster answers each in pg.json.
export E2E_PG_CONTROL="$TMP/pg.in" E2E_PG_OUT="$TMP/pg.json"
log "pg-cluster ready after $((SECONDS - T0)) s"

# tauri-driver: pick a free port pair (driver, native driver).
port_in_use() { (exec 9<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=${E2E_DRIVER_PORT:-}
if [[ -z "$PORT" ]]; then
  for p in 4444 4454 4464 4474 4484 4494; do
    if ! port_in_use "$p" && ! port_in_use "$((p + 1))"; then PORT=$p; break; fi
  done
  [[ -n "$PORT" ]] || die "no free port for tauri-driver"
fi
setsid "$HERE/node_modules/.bin/tauri-driver" --port "$PORT" --native-port "$((PORT + 1))" \
  --native-driver "$WEBKIT_DRIVER" >"$TMP/tauri-driver.log" 2>&1 &
DRIVER_PID=$!
for _ in $(seq 1 300); do # up to 30 s
  port_in_use "$PORT" && break
  kill -0 "$DRIVER_PID" 2>/dev/null || { cat "$TMP/tauri-driver.log" >&2; die "tauri-driver exited"; }
  sleep 0.1
done
port_in_use "$PORT" || { cat "$TMP/tauri-driver.log" >&2; die "tauri-driver did not listen on $PORT"; }
log "tauri-driver listening on $PORT"

export E2E_DRIVER_URL="http://127.0.0.1:$PORT"
set +e
(cd "$HERE" && timeout --kill-after=10 440 node --test ./app.test.mjs)
STATUS=$?
set -e
if [[ $STATUS -ne 0 ]]; then
  log "tauri-driver log tail:"
  tail -n 40 "$TMP/tauri-driver.log" >&2 || true
fi
exit "$STATUS"
