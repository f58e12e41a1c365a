#!/bin/sh
# Validates Kubernetes manifests against the real OpenAPI schemas with the PyPI package
# kubernetes-validate in strict mode (unknown fields are errors).
#
#   tests/schema_check.sh FILE...
#
# Installs kubernetes-validate into a virtualenv under target/ (or $KUBEPLAY_SCHEMA_VENV)
# when it is missing. Exits non-zero when a file does not validate or the validator cannot
# be installed: callers must treat that as a failure, never as a skip.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
venv="${KUBEPLAY_SCHEMA_VENV:-${CARGO_TARGET_DIR:-$root/target}/schema-venv}"
if [ ! -x "$venv/bin/kubernetes-validate" ]; then
  # Tests run in parallel: one caller installs while the others wait on the lock, so nobody
  # sees a half-built virtualenv.
  mkdir -p "$(dirname "$venv")"
  exec 9>"$venv.lock"
  flock 9
  if [ ! -x "$venv/bin/kubernetes-validate" ]; then
    echo "schema_check: installing kubernetes-validate into $venv" >&2
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet kubernetes-validate >&2
  fi
  flock -u 9
fi
exec "$venv/bin/kubernetes-validate" --strict --quiet "$@"
