# shellcheck shell=bash
# Versions pinned for more than one script (sourced; each may be overridden from the environment).
HELM_VERSION=${HELM_VERSION:-3.22.0}
