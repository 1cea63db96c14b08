#!/usr/bin/env bash
# Installs what is missing, builds, and runs the example. The README's first command.
# Until the HTTP adapter lands, the example is examples/embed: the whole account life cycle
# in-process, with mails written to var/outbox/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build=${USERMGMT_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" --target usermgmt-embed
exec "$build/examples/embed/usermgmt-embed" "$PWD/var"
