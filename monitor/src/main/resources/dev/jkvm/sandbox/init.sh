#!/bin/busybox sh
# PID 1 of the jkvm sandbox. dev.jkvm.sandbox.Initramfs puts it in the initramfs as /init, next to
# a static busybox and the kernel modules listed in /etc/jkvm/modules; dev.jkvm.sandbox.Sandbox is
# the host side.
#
# Protocol on the virtio-serial port jkvm.ctl, one line per message:
#   guest -> host   ready UPTIME            the host file system is mounted, jobs may come
#                   error MESSAGE           the sandbox cannot work (the guest powers off after it)
#                   exit ID STATUS OUT ERR  job ID ended with STATUS after writing OUT and ERR bytes
#   host -> guest   run ID                  run /run/jkvm/job-ID.sh (from the jkvmrun share)
#                   quit                    power off
# A job's stdout and stderr go to the ports jkvm.stdout and jkvm.stderr through tee; wc counts the
# bytes so the host knows when it has all of them (the ports are separate queues, so the exit line
# may overtake the last output bytes).
# Errors are also written to the console (ttyS0) prefixed "jkvm-init: error:", for failures that
# happen before the control port exists.

/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox --install -s /bin
export PATH=/bin
umask 022

CTL_OPEN=
say() { echo "jkvm-init: $*" >/dev/console; }
fail() {
	say "error: $*"
	[ -n "$CTL_OPEN" ] && echo "error $*" >&3
	sync
	poweroff -f
	sleep 3600
}

while read -r m; do
	[ -n "$m" ] || continue
	insmod "/lib/modules/$m.ko" 2>/tmp/insmod.err ||
		fail "kernel module $m refused to load: $(tail -n 1 /tmp/insmod.err)"
done </etc/jkvm/modules

# The host adds the virtio-serial ports through control messages after virtio_console probes,
# so they can appear a little after insmod returns.
port() {
	for p in /sys/class/virtio-ports/vport*; do
		if [ "$(cat "$p/name" 2>/dev/null)" = "$1" ] && [ -c "/dev/${p##*/}" ]; then
			echo "/dev/${p##*/}"
			return 0
		fi
	done
	return 1
}
tries=0
until CTL=$(port jkvm.ctl) && OUT=$(port jkvm.stdout) && ERR=$(port jkvm.stderr); do
	tries=$((tries + 1))
	[ $tries -lt 400 ] || fail "the virtio-serial ports jkvm.ctl/jkvm.stdout/jkvm.stderr did not appear"
	sleep 0.05
done
exec 3<>"$CTL"
CTL_OPEN=1

[ -c /dev/kvm ] || fail "no /dev/kvm inside the sandbox although kvm and kvm-amd loaded (does the QEMU CPU model have svm?)"

hostname jkvm-sandbox
ip link set lo up 2>/dev/null

mkdir -p /run/jkvm
mount -t 9p -o trans=virtio,version=9p2000.L,ro jkvmrun /run/jkvm ||
	fail "could not mount the jkvmrun 9p share"
. /run/jkvm/config

# The host root, read-only. cache=loose lets the JVM start in about a second instead of several
# (QEMU exports it with multidevs=remap, without which cached inode numbers of files on different
# host devices collide and the wrong file is read).
R=/newroot
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=loose,ro hostroot "$R" ||
	fail "could not mount the host file system (9p share hostroot)"
mount -t proc proc "$R/proc" || fail "could not mount /proc"
mount -t sysfs sysfs "$R/sys" || fail "could not mount /sys"
mount -t tracefs tracefs "$R/sys/kernel/tracing" || fail "could not mount tracefs at /sys/kernel/tracing"
mount -t debugfs debugfs "$R/sys/kernel/debug" 2>/dev/null
mount -t devtmpfs devtmpfs "$R/dev" || fail "could not mount /dev"
mkdir -p "$R/dev/shm" "$R/dev/pts"
mount -t tmpfs -o mode=1777 tmpfs "$R/dev/shm" || fail "could not mount /dev/shm"
mount -t devpts -o ptmxmode=0666 devpts "$R/dev/pts" 2>/dev/null
mount -t tmpfs -o mode=1777 tmpfs "$R/tmp" || fail "could not mount tmpfs on /tmp"

# Shares (read-write ones, and the caller's checkout under /tmp read-only: QEMU enforces which),
# parents before children (the host sorts them). A share under /tmp gets its mount point made in
# the tmpfs; elsewhere it already exists on the host.
n=0
while [ "$n" -lt "$JKVM_SHARES" ]; do
	eval "dir=\$JKVM_SHARE_$n"
	mkdir -p "$R$dir" 2>/dev/null
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=mmap "share$n" "$R$dir" ||
		fail "could not mount the shared directory $dir"
	n=$((n + 1))
done

echo "ready $(cut -d' ' -f1 /proc/uptime)" >&3

run_job() {
	rm -f /run/out /run/err /run/out.n /run/err.n
	mkfifo /run/out /run/err
	tee "$OUT" </run/out | wc -c >/run/out.n &
	tee "$ERR" </run/err | wc -c >/run/err.n &
	env -i /bin/chroot "$R" /bin/sh -c "$(cat "/run/jkvm/job-$1.sh")" </dev/null >/run/out 2>/run/err
	status=$?
	wait
	sync
	echo "exit $1 $status $(cat /run/out.n) $(cat /run/err.n)" >&3
}

if [ "$JKVM_MODE" = interactive ]; then
	# The shell gets the serial console as its controlling terminal, so job control and ^C work.
	setsid -c env -i /bin/chroot "$R" /bin/sh -c "$(cat /run/jkvm/job-0.sh)" </dev/ttyS0 >/dev/ttyS0 2>&1
	echo "exit 0 $? 0 0" >&3
else
	while read -r verb id <&3; do
		case "$verb" in
		run) run_job "$id" ;;
		quit) break ;;
		esac
	done
fi
sync
poweroff -f
