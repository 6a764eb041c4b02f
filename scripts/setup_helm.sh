#!/usr/bin/env bash
# helm for the AWS playbooks where none is installed (the time-to-live teardown's
# CodeBuild build: files/ttl/buildspec.yml): the pinned version, built with Go from
# its module (the Go checksum database verifies it), into .cache/bin. A helm of that
# version already on PATH, or already built, is used as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/pins.sh
source scripts/pins.sh
mkdir -p .cache/bin
if [[ -x .cache/bin/helm ]] && .cache/bin/helm version --short 2>/dev/null | grep -q "^v$HELM_VERSION"; then
  echo "setup_helm: .cache/bin/helm is v$HELM_VERSION"
elif command -v helm >/dev/null && helm version --short 2>/dev/null | grep -q "^v$HELM_VERSION"; then
  ln -sf "$(command -v helm)" .cache/bin/helm
  echo "setup_helm: helm v$HELM_VERSION from PATH ($(command -v helm))"
else
  command -v go >/dev/null || { echo "setup_helm: neither helm v$HELM_VERSION nor Go (to build it) is installed" >&2; exit 1; }
  echo "setup_helm: building helm v$HELM_VERSION"
  GOBIN=$PWD/.cache/bin go install -ldflags "-s -w" "helm.sh/helm/v3/cmd/helm@v$HELM_VERSION"
fi
.cache/bin/helm version --short
