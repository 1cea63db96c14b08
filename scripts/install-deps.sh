#!/usr/bin/env bash
# Installs the Debian 12 packages usermgmt needs, and only those that are missing.
set -euo pipefail

# What building the library and running the example server need (`install-deps.sh build`, the
# first README command: minutes less on a fresh machine than everything) ...
build_packages=(
  cmake g++ ninja-build pkg-config ccache          # toolchain
  libsqlite3-dev libsodium-dev                     # core
  libpq-dev                                        # core: the PostgreSQL store
  libcurl4-openssl-dev                             # core: SMTP delivery
  libssl-dev libcrypt-dev                          # core: imported PBKDF2 and bcrypt hashes; HTTP: TLS
  libboost1.81-dev libboost-json1.81-dev           # HTTP adapter (Boost 1.74, the default, has no Boost.JSON)
  catch2                                           # the tests' CMake (on by default in a checkout) finds it
)
# ... and what the tests need besides (no argument: both).
test_packages=(
  python3-aiosmtpd openssl                         # tests: a real SMTP server, a certificate for STARTTLS
  postgresql-15                                    # tests: a real PostgreSQL server
  python3 python3-jwt                              # tests: an independent JWT implementation
  python3-jsonschema                               # tests: answers validate against docs/openapi.json
  python3-prometheus-client                        # tests: /metrics read by a real Prometheus parser
  python3-django python3-argon2 python3-bcrypt     # tests: real Django databases and hashes to import
  python3-psycopg2                                 # tests: Django on PostgreSQL, imported from
  chromium chromium-driver python3-selenium        # tests: the web pages in a real browser
  fonts-dejavu-core                                #   with a font to render them in
  clang libclang-rt-14-dev                         # fuzzers and sanitizer builds
)
packages=("${build_packages[@]}")
[ "${1:-all}" = build ] || packages+=("${test_packages[@]}")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
