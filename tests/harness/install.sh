#!/usr/bin/env bash
# Installs the real servers the tests talk to: Postfix + Dovecot (mail), Knot (DNS) from Debian's packages and
# the Telegram Bot API emulator from npm. Idempotent: a second run installs nothing. Under CI=true a missing
# tool is an error, never a skip.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

apt_pkgs=(postfix dovecot-core dovecot-imapd dovecot-lmtpd dovecot-sieve knot knot-dnsutils openssl)
need_bins=(/usr/sbin/postfix /usr/sbin/dovecot /usr/bin/sievec /usr/sbin/knotd /usr/sbin/knotc /usr/bin/kdig /usr/bin/openssl)

missing=0
for b in "${need_bins[@]}"; do [[ -x "$b" ]] || missing=1; done
if (( missing )); then
  if [[ $(id -u) -ne 0 ]] && ! command -v sudo >/dev/null; then
    echo "install.sh: Postfix/Dovecot/Knot are missing and this user cannot install Debian packages" >&2
    exit 1
  fi
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${apt_pkgs[@]}" >/dev/null
fi
for b in "${need_bins[@]}"; do
  [[ -x "$b" ]] || { echo "install.sh: $b is still missing after installing ${apt_pkgs[*]}" >&2; exit 1; }
done

# Distro daemons, if their packages started any, listen on standard ports; the tests use their own on
# loopback high ports, so both can coexist.

# Telegram Bot API emulator (no CLI of its own; tests/harness/telegram.py starts it).
if [[ ! -d "$here/node/node_modules/telegram-test-api" ]]; then
  command -v npm >/dev/null || { echo "install.sh: npm is missing (needed for telegram-test-api)" >&2; exit 1; }
  (cd "$here/node" && npm install --no-audit --no-fund --silent >/dev/null)
fi
[[ -d "$here/node/node_modules/telegram-test-api" ]] || { echo "install.sh: telegram-test-api did not install" >&2; exit 1; }
echo "install.sh: Postfix, Dovecot, Knot and telegram-test-api are ready"
