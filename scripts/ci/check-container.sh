#!/usr/bin/env bash
# Usage: scripts/ci/check-container.sh
#
# Lints the container artefacts and exits 1 on any finding, warnings included:
# - Dockerfile: dockerlinter (hadolint's rules, reimplemented in JavaScript, with ShellCheck on every
#   RUN) and dockerfile-utils (the Dockerfile validator behind VS Code's Docker support). hadolint
#   itself is a Haskell binary that neither npm nor Debian ships.
# - compose.yaml: dclint (the Compose Specification's JSON schema, then its own rules), then
#   check-compose.mjs (this project's rules: pinned images, migrations as a one-shot step, ...).
# - The YAML files added with them: yamllint -s, configured by .yamllint.yaml.
#
# The npm tools are installed from scripts/ci/container-lint/package-lock.json with install scripts
# off (dockerlinter's would download ShellCheck from GitHub). yamllint and ShellCheck come from
# Debian: installed here when missing and running as root, as .ci/run does for Chromium.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
tools="$root/scripts/ci/container-lint"
cd "$root"

missing=()
command -v yamllint >/dev/null || missing+=(yamllint)
command -v shellcheck >/dev/null || missing+=(shellcheck)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "check-container: needs ${missing[*]} (Debian: apt-get install -y ${missing[*]})" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
(cd "$tools" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
failed=()
check() {
  local name=$1
  shift
  printf '== %s\n' "$name"
  "$@" || failed+=("$name")
}

# dockerlinter writes each RUN to a temp<line>.sh in its working directory for ShellCheck.
dockerlinter() { (cd "$scratch" && node "$tools/node_modules/dockerlinter/bin/dockerfilelinter.js" "$@"); }
check "Dockerfile: dockerlinter + ShellCheck" dockerlinter -f "$root/Dockerfile" -e info
check "Dockerfile: dockerfile-utils" node "$tools/node_modules/dockerfile-utils/bin/dockerfile-utils" lint Dockerfile
check "compose.yaml: dclint" \
  node "$tools/node_modules/dclint/bin/dclint.cjs" compose.yaml --max-warnings 0 -c "$tools/dclint.yaml"
check "compose.yaml: project rules" node "$tools/check-compose.mjs"
check "YAML: yamllint -s" yamllint -s compose.yaml .yamllint.yaml "$tools/dclint.yaml"

if [ ${#failed[@]} -gt 0 ]; then
  printf 'check-container: failed: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "check-container: all checks passed"
