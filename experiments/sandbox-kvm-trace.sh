#!/usr/bin/env bash
# Where is a guest spinning? Run `jkvm run` inside the nested-KVM sandbox with the sandbox kernel's KVM
# tracepoints on, stop it after a while, and count its VM exits by reason and guest symbol.
#
#   ./jkvm sandbox -o DIR -- experiments/sandbox-kvm-trace.sh DIR SECONDS JKVM-RUN-ARGS...
#   e.g. ./jkvm sandbox -o /tmp/tr -- experiments/sandbox-kvm-trace.sh /tmp/tr 150 --guest linux --arg 1
#   experiments/sandbox-kvm-trace.sh --count DIR      (only the counting, again, outside the sandbox)
#
# On a shared machine under the KVM lock (flock /tmp/jkvm-kvm.lock ./jkvm sandbox ...), and with a
# sandbox --timeout well above SECONDS: copying the trace out over 9p takes a minute or more.
# Writes into DIR (the sandbox's read-write output directory): run.log (jkvm's output), trace (the
# last ring buffer of kvm:kvm_exit, kvm_inj_virq, kvm_pic_set_irq, kvm_apic_accept_irq,
# kvm_inj_exception), kallsyms (the sandbox kernel's symbols), exits-by-symbol.txt (the trace's
# exits counted by reason and guest RIP as symbol+offset).
# RIPs map to symbols through the sandbox's /proc/kallsyms because the sandbox runs the same Debian
# kernel as the built-in linux guest, unrandomised there (the sandbox boots it with nokaslr when it
# prints _text at 0xffffffff81000000, which this checks) and in the guest (the vmlinux path skips
# the decompressor, which is what randomises).
set -euo pipefail

count() {
python3 - "$1" <<'EOF'
import bisect, collections, re, sys
out = sys.argv[1]
syms = []
for line in open(f"{out}/kallsyms"):
    p = line.split()
    if len(p) == 3 and p[1] in "tTwW":
        syms.append((int(p[0], 16), p[2]))
syms.sort()
addrs = [a for a, _ in syms]
def name(rip):
    i = bisect.bisect_right(addrs, rip) - 1
    return f"{syms[i][1]}+0x{rip - syms[i][0]:x}" if i >= 0 and rip >= 0xffffffff80000000 else hex(rip)
counts = collections.Counter()
for line in open(f"{out}/trace"):
    m = re.search(r"kvm_exit: vcpu \d+ reason (\S+) rip (0x[0-9a-f]+)", line)
    if m:
        counts[(m.group(1), name(int(m.group(2), 16)))] += 1
with open(f"{out}/exits-by-symbol.txt", "w") as f:
    for (reason, where), n in counts.most_common():
        f.write(f"{n:8d} {reason:12s} {where}\n")
EOF
head -15 "$1/exits-by-symbol.txt"
}

if [[ ${1:-} == --count ]]; then count "$2"; exit 0; fi
out=$1; seconds=$2; shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
t=/sys/kernel/tracing
mountpoint -q $t || mount -t tracefs nodev $t
cp /proc/kallsyms "$out/kallsyms"
grep -q '^ffffffff81000000 T _text$' "$out/kallsyms" || echo "warning: the sandbox kernel is randomised; symbols will be wrong" >&2
echo 32768 > $t/buffer_size_kb
echo > $t/trace
for e in kvm_exit kvm_inj_virq kvm_pic_set_irq kvm_apic_accept_irq kvm_inj_exception; do
  echo 1 > "$t/events/kvm/$e/enable"
done
"$root/jkvm" run --no-sandbox "$@" > "$out/run.log" 2>&1 &
pid=$!
for ((i = 0; i < seconds; i++)); do sleep 1; kill -0 $pid 2>/dev/null || break; done
kill $pid 2>/dev/null || true
wait $pid || echo "jkvm exit $?" >> "$out/run.log"
echo 0 > $t/events/kvm/enable
cat $t/trace > "$out/trace"
count "$out"
