#!/usr/bin/env bash
# Install the Debian packages that the throw-away test servers need (Dovecot, PostgreSQL,
# OpenSSL) and make sure none of them runs as a system service afterwards.
#
# Idempotent and fast when everything is present. Needs root (or sudo), no TTY.
# Works on Debian 12 (Dovecot 2.3, PostgreSQL 15) and Debian 13 (Dovecot 2.4, PostgreSQL 17).
set -euo pipefail

PACKAGES=(dovecot-imapd postgresql openssl)
CREATECLUSTER_CONF=/etc/postgresql-common/createcluster.conf

SUDO=()
if [[ ${EUID} -ne 0 ]]; then
    SUDO=(sudo -n)
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "${pkg}" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("${pkg}")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "install-test-deps: ${PACKAGES[*]} already installed, nothing to do"
    exit 0
fi

# No default cluster: we run our own PostgreSQL in a temp dir on a port of our own.
# Must be in place before the postgresql package is configured.
"${SUDO[@]}" mkdir -p "$(dirname "${CREATECLUSTER_CONF}")"
if [[ -f ${CREATECLUSTER_CONF} ]] && grep -Eq '^[[:space:]]*#?[[:space:]]*create_main_cluster' "${CREATECLUSTER_CONF}"; then
    "${SUDO[@]}" sed -i -E \
        's/^[[:space:]]*#?[[:space:]]*create_main_cluster.*/create_main_cluster = false/' \
        "${CREATECLUSTER_CONF}"
else
    echo "create_main_cluster = false" | "${SUDO[@]}" tee -a "${CREATECLUSTER_CONF}" >/dev/null
fi

# Keep invoke-rc.d from starting the services during the install (Docker images ship this
# file already; elsewhere we add it for the duration of the install only).
POLICY=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e ${POLICY} ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "${POLICY}" >/dev/null
    "${SUDO[@]}" chmod 755 "${POLICY}"
    created_policy=1
fi
cleanup() {
    if [[ ${created_policy} -eq 1 ]]; then
        "${SUDO[@]}" rm -f "${POLICY}"
    fi
}
trap cleanup EXIT

# apt's chatter goes to a log that is shown only when something fails.
LOG=$(mktemp)
if ! { "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        "${PACKAGES[@]}"; } </dev/null >"${LOG}" 2>&1; then
    cat "${LOG}" >&2
    rm -f "${LOG}"
    echo "install-test-deps: apt-get failed installing ${missing[*]}" >&2
    exit 1
fi
rm -f "${LOG}"

# Whatever the init system did, leave no system Dovecot/PostgreSQL running or enabled.
for svc in dovecot postgresql; do
    if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
        "${SUDO[@]}" systemctl disable --now "${svc}" >/dev/null 2>&1 || true
        "${SUDO[@]}" systemctl disable --now "${svc}.socket" >/dev/null 2>&1 || true
    fi
    if command -v service >/dev/null 2>&1; then
        "${SUDO[@]}" service "${svc}" stop </dev/null >/dev/null 2>&1 || true
    fi
done
if command -v pg_lsclusters >/dev/null 2>&1; then
    while read -r ver name _; do
        "${SUDO[@]}" pg_ctlcluster "${ver}" "${name}" stop >/dev/null 2>&1 || true
    done < <(pg_lsclusters -h 2>/dev/null || true)
fi

echo "install-test-deps: installed ${missing[*]} (system services stopped, no default cluster)"
