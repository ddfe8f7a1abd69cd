#!/usr/bin/env bash
# Boot to the ready line of the built-in `linux` guest: jkvm against QEMU/KVM on the same machine,
# in one run, rounds alternating so machine noise hits both.
#
#   experiments/linux-boot-bench.sh [ROUNDS]        (root; on a shared machine run it under the KVM
#                                                    lock: flock /tmp/jkvm-kvm.lock experiments/...)
#
# Same kernel, initramfs and command line for both: Debian's vmlinux from jkvm's cache (jkvm enters its
# startup_64 with boot_params; QEMU boots the same ELF by its PVH note), the initramfs with linux-init as
# /init (the archive jkvm writes, rebuilt here with cpio), `console=ttyS0 acpi=off reboot=t panic=-1
# quiet jkvm.arg=0`, 256 MiB, one vCPU. Prints seconds from process start to the line
# "jkvm-linux: ready", and each process's peak RSS minus the 256 MiB of guest RAM.
# QEMU: -accel kvm -cpu qemu64 (-cpu host fails on kvm_pvm), -nographic, -no-reboot (the guest's
# reboot after its summary ends QEMU; jkvm ends at the power-off port).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-1}
cache=${JKVM_SANDBOX_CACHE:-$HOME/.cache/jkvm}
kdir=$(ls -d "$cache"/kernel/linux-image-*/ 2>/dev/null | grep -v -e '\.download' -e '\.staging' | tail -1)
[[ -f "$kdir/vmlinux" ]] || { echo "no unpacked vmlinux in $cache/kernel: run 'jkvm run --guest linux' once first" >&2; exit 2; }
init="$root/guests/target/classes/dev/jkvm/guests/linux-init"
[[ -x "$init" ]] || { echo "$init missing: build jkvm first (mvn -o -q install -DskipTests)" >&2; exit 2; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/root/dev" "$tmp/root/proc"
cp "$init" "$tmp/root/init"
mknod -m 600 "$tmp/root/dev/console" c 5 1
(cd "$tmp/root" && find . -mindepth 1 | cpio -o -H newc --quiet) > "$tmp/initrd.cpio"
cmdline="console=ttyS0 acpi=off reboot=t panic=-1 quiet jkvm.arg=0"

# time_to_ready NAME COMMAND...: seconds from start to the ready line, peak RSS beyond guest RAM
time_to_ready() {
  local name=$1; shift
  local start ready="" rss
  start=$(date +%s.%N)
  while IFS= read -r line; do
    if [[ -z "$ready" && "$line" == *"jkvm-linux: ready"* ]]; then ready=$(echo "$(date +%s.%N) - $start" | bc); fi
  done < <(/usr/bin/time -f "peak-rss-kib %M" -o "$tmp/$name.rss" timeout 1200 "$@" 2>&1)
  rss=$(awk '/peak-rss-kib/ {printf "%.0f", ($2 - 262144) / 1024}' "$tmp/$name.rss")
  printf '%-5s ready after %s s, peak RSS beyond guest RAM %s MiB\n' "$name" "${ready:-(never)}" "$rss"
}

for ((r = 1; r <= rounds; r++)); do
  echo "round $r"
  time_to_ready jkvm "$root/jkvm" run --guest linux --arg 0
  time_to_ready qemu qemu-system-x86_64 -accel kvm -cpu qemu64 -m 256 -smp 1 -nographic -no-reboot \
      -kernel "$kdir/vmlinux" -initrd "$tmp/initrd.cpio" -append "$cmdline"
done
