#!/bin/sh
# Installs Debian's CPU PyTorch and torchvision for the numeric differential test
# (test/numeric/torch.test.ts). Idempotent: does nothing when the system python already imports both.
set -eu
if /usr/bin/python3 -c 'import torch, torchvision' >/dev/null 2>&1; then
  echo "install-torch: torch and torchvision already importable by /usr/bin/python3"
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# Another apt run (CI setup steps) may hold the lock for a while: wait for it.
i=0
until $SUDO apt-get install -y --no-install-recommends python3-torch python3-torchvision; do
  i=$((i + 1))
  if [ "$i" -ge 30 ]; then echo "install-torch: apt-get failed" >&2; exit 1; fi
  if [ "$i" -eq 1 ]; then $SUDO apt-get update || true; fi
  sleep 10
done
/usr/bin/python3 -c 'import torch, torchvision; print("install-torch: torch", torch.__version__, "torchvision", torchvision.__version__)'
