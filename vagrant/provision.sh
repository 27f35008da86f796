#!/usr/bin/env bash
# Provisions one kubets host the way a user sets one up: the control plane with `kubets init`, a worker with the join
# command the control plane leaves in the folder all hosts share. vagrant/Vagrantfile runs it in every VM, and
# `kubets lab up --machines nspawn` in every booted machine.
#
#   provision.sh master|worker NODE_NAME NODE_IP
#
# $KUBETS_SRC is the kubets checkout (default /kubets-src), $KUBETS_SHARED the shared folder (default
# /kubets-cluster), $KUBETS_PROXY_MODE the nodes' kube-proxy mode (default iptables), $KUBETS_POD_NETWORK the
# cluster's pod network (host-gw or vxlan; default host-gw), set on the control plane, which the workers follow.
set -euo pipefail
role=${1:?usage: provision.sh master|worker NODE_NAME NODE_IP}
name=${2:?usage: provision.sh master|worker NODE_NAME NODE_IP}
ip=${3:?usage: provision.sh master|worker NODE_NAME NODE_IP}
src=${KUBETS_SRC:-/kubets-src}
shared=${KUBETS_SHARED:-/kubets-cluster}
proxy=(${KUBETS_PROXY_MODE:+--proxy-mode "$KUBETS_PROXY_MODE"})
podnet=(${KUBETS_POD_NETWORK:+--pod-network "$KUBETS_POD_NETWORK"})
export DEBIAN_FRONTEND=noninteractive

# Node.js 20: Debian 12's own nodejs is 18, so it comes from NodeSource (as on the hosts kubets is built on).
if [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -lt 20 ]; then
  echo "provision: installing Node.js 20 from NodeSource"
  apt-get update -q
  apt-get install -y -q --no-install-recommends ca-certificates curl gnupg
  install -d -m 0755 /etc/apt/keyrings
  curl -fsSL https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key | gpg --dearmor --yes -o /etc/apt/keyrings/nodesource.gpg
  echo "deb [signed-by=/etc/apt/keyrings/nodesource.gpg] https://deb.nodesource.com/node_20.x nodistro main" >/etc/apt/sources.list.d/nodesource.list
  apt-get update -q
  apt-get install -y -q nodejs
fi

# A checkout that was not built for this host (another OS or Node) is built here, in a copy.
if ! (cd "$src" && [ -f dist/cli/kubets.js ] && node -e 'require("better-sqlite3"); require("netlink")' 2>/dev/null); then
  build=/var/tmp/kubets-build
  echo "provision: building kubets in $build"
  apt-get install -y -q --no-install-recommends g++ make python3 gcc libc6-dev busybox-static rsync
  rsync -a --delete --exclude node_modules --exclude dist --exclude .vagrant "$src"/ "$build"/
  (cd "$build" && npm ci --no-audit --no-fund && npm run build)
  src=$build
fi

case $role in
  master)
    rm -f "$shared/join-command" "$shared/admin.kubeconfig"
    "$src/scripts/install.sh" init --node-name "$name" --advertise-address "$ip" "${proxy[@]}" "${podnet[@]}"
    kubets token create --print-join-command >"$shared/join-command.tmp"
    mv "$shared/join-command.tmp" "$shared/join-command"
    install -m 0600 /etc/kubets/admin.kubeconfig "$shared/admin.kubeconfig"
    ;;
  worker)
    # The master is provisioned first; wait a little in case it is still writing the command.
    for _ in $(seq 120); do [ -s "$shared/join-command" ] && break; sleep 1; done
    if [ ! -s "$shared/join-command" ]; then
      echo "provision: no join command in $shared/join-command: provision the master first" >&2
      exit 1
    fi
    read -r -a join <"$shared/join-command"
    "$src/scripts/install.sh" join "${join[@]:2}" --node-name "$name" --node-ip "$ip" "${proxy[@]}"
    ;;
  *)
    echo "provision: unknown role \"$role\": want master or worker" >&2
    exit 2
    ;;
esac
