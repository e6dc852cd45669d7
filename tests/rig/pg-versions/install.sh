#!/usr/bin/env bash
# Installs the PostgreSQL 16, 17 and 18 server binaries the version-matrix tests use, then
# recreates their symlinks (the packages' postinstall step, which npm may hold back).
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d node_modules ] || [ package.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund --loglevel=error
fi
for d in node_modules/pg*/; do
  if [ ! -x "$d/native/bin/postgres" ] || [ ! -e "$d/native/lib/libpq.so" ]; then
    (cd "$d" && node scripts/hydrate-symlinks.js)
  fi
  "$d/native/bin/postgres" --version
done
