#!/usr/bin/env bash
# The Kubernetes test harness's binaries, built from the Go module proxy and
# cached by version in $STREAMSTACK_CACHE/kube/<key>/bin (default ~/.cache/streamstack,
# shared by every clone on this machine), linked from .cache/kube/<key> (see ../shared/FACTS.md):
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubectl  (k8s.io/kubernetes)
#   etcd (go.etcd.io/etcd/server/v3), kwok (fake nodes), helm 3 (kubernetes.core needs helm 3)
# k8s.io/kubernetes and etcd cannot be `go install`ed (their go.mod files
# rely on replace lines), so each is built through a small wrapper module.
# About 9 minutes cold on 2 cores; seconds when the cache is warm. Only tests need
# them (scripts/setup.sh --tests); no registry ships these versions prebuilt for
# linux/amd64 (PyPI, npm, Debian: etcd 3.4, no kube-apiserver), so they are built.
# Idempotent: prints the bin directory on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
# shellcheck source=scripts/venv.sh
source scripts/venv.sh   # STREAMSTACK_CACHE
KUBE_VERSION=${KUBE_VERSION:-1.37.2}
ETCD_VERSION=${ETCD_VERSION:-3.6.16}
KWOK_VERSION=${KWOK_VERSION:-0.8.0}
# shellcheck source=scripts/pins.sh
source scripts/pins.sh   # HELM_VERSION
key=k8s${KUBE_VERSION}-etcd${ETCD_VERSION}-kwok${KWOK_VERSION}-helm${HELM_VERSION}
dest=$STREAMSTACK_CACHE/kube/$key
bin=$dest/bin
link() { mkdir -p "$root/.cache/kube"; ln -sfn "$dest" "$root/.cache/kube/$key"; }
want=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok helm)

missing=()
for b in "${want[@]}"; do [[ -x $bin/$b ]] || missing+=("$b"); done
if [[ ${#missing[@]} -eq 0 ]]; then
  link
  echo "setup_kube: binaries for $key already built ($dest)"
  echo "$root/.cache/kube/$key/bin"; exit 0
fi
command -v go >/dev/null || { echo "setup_kube: Go is not installed; install Go >= 1.25 (the Kubernetes $KUBE_VERSION build needs it)" >&2; exit 1; }
echo "setup_kube: building ${missing[*]} for $key (about 9 min cold; Go's module and build caches make later builds fast)"
mkdir -p "$bin" "$dest/src"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0

step() { echo "setup_kube: $1 ($((SECONDS)) s so far)"; }

need() { local b; for b in "$@"; do [[ " ${missing[*]} " == *" $b "* ]] && return 0; done; return 1; }

if need kube-apiserver kube-controller-manager kube-scheduler kubectl; then
  step "kubernetes v$KUBE_VERSION"
  src=$dest/src/kubernetes; rm -rf "$src"; mkdir -p "$src"
  # The staging modules k8s.io/kubernetes replaces with ./staging/src/...: each
  # is published at v0.<minor>.<patch>, read from its own go.mod (not a list kept here).
  modjson=$(go mod download -json "k8s.io/kubernetes@v$KUBE_VERSION")
  gomod=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])' <<<"$modjson")
  staging_version=v0.${KUBE_VERSION#*.}
  {
    echo "module streamstack.invalid/kubebuild"
    echo
    echo "go $(awk '$1=="go"{print $2; exit}' "$gomod")"
    echo
    echo "require k8s.io/kubernetes v$KUBE_VERSION"
    echo
    awk '$2=="=>" && $3 ~ /^\.\/staging\// {print "replace " $1 " => " $1 " '"$staging_version"'"}' "$gomod"
  } > "$src/go.mod"
  echo "setup_kube: $(grep -c '^replace' "$src/go.mod") staging modules replaced by their $staging_version releases"
  cat > "$src/tools.go" <<'GO'
//go:build tools

package kubebuild

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  (cd "$src" && go mod tidy -e >/dev/null 2>&1 || true)
  minor=${KUBE_VERSION#*.}; minor=${minor%%.*}
  ld="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=v$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  (cd "$src" && go build -ldflags "$ld" -o "$bin/" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl)
fi

if need etcd; then
  step "etcd v$ETCD_VERSION"
  src=$dest/src/etcd; rm -rf "$src"; mkdir -p "$src"
  printf 'module streamstack.invalid/etcdbuild\n\ngo 1.24\n\nrequire go.etcd.io/etcd/server/v3 v%s\n' "$ETCD_VERSION" > "$src/go.mod"
  cat > "$src/main.go" <<'GO'
// etcd's own main, built through a wrapper module (its go.mod uses replace lines).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  (cd "$src" && go mod tidy >/dev/null && go build -ldflags "-s -w" -o "$bin/etcd" .)
fi

if need kwok; then
  step "kwok v$KWOK_VERSION"
  GOBIN=$bin go install -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION"
fi
if need helm; then
  step "helm v$HELM_VERSION"
  GOBIN=$bin go install -ldflags "-s -w" "helm.sh/helm/v3/cmd/helm@v$HELM_VERSION"
fi
rm -rf "$dest/src"
for b in "${want[@]}"; do [[ -x $bin/$b ]] || { echo "setup_kube: $b was not built" >&2; exit 1; }; done
"$bin/kube-apiserver" --version
"$bin/helm" version --short
link
echo "setup_kube: done in ${SECONDS} s"
echo "$root/.cache/kube/$key/bin"
