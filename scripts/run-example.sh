#!/usr/bin/env bash
# Installs what is missing, builds, and starts the example server: the README's first command.
# SQLite file and media under ./var/, the pages and the API at http://127.0.0.1:8000/, mails
# printed on the console.
# Extra arguments go to the server (try --help).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh build
build=${USERMGMT_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" --target usermgmt-server
exec "$build/examples/server/usermgmt-server" "$@"
