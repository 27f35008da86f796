#!/usr/bin/env bash
# Installs kubets on this host from this checkout, as the installed `kubets` command does it:
#   scripts/install.sh init [flags]                 the first control-plane host (kubets init)
#   scripts/install.sh join https://IP:6443 --token T --discovery-token-ca-cert-hash sha256:H [flags]
#   scripts/install.sh server|agent [flags]         one component (kubets install server|agent)
#   scripts/install.sh uninstall                    remove it again (kubets uninstall)
# Needs root, Node.js 20 or later (NodeSource's nodejs package on Debian 12, whose own is 18) and a built checkout
# (./scripts/setup). The installed program carries its own copy of this Node under /opt/kubets.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 20 ]; then
  echo "install.sh: kubets needs Node.js 20 or later (found: $(node --version 2>/dev/null || echo none)): install NodeSource's nodejs 20 package and run again" >&2
  exit 1
fi
if [ ! -f "$here/dist/cli/kubets.js" ]; then
  echo "install.sh: $here is not built (no dist/cli/kubets.js): run ./scripts/setup there first" >&2
  exit 1
fi
cmd=${1:-}
shift || true
case $cmd in
  server | agent) exec node "$here/dist/cli/kubets.js" install "$cmd" "$@" ;;
  init | join | uninstall) exec node "$here/dist/cli/kubets.js" "$cmd" "$@" ;;
  *)
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
