/*
 * io_ping_reference.c - the C reference for `jkvm bench`: the smallest monitor that runs the io-ping
 * guest the way jkvm does (same long-mode set-up as CpuSetup, same ports), so the cost of one
 * port-I/O exit round trip can be compared side by side with jkvm's Java KVM_RUN loop.
 *
 * Usage: io_ping_reference IMAGE N   (IMAGE: io-ping.bin, a flat long-mode image loaded at 1 MiB)
 * Prints: exits=<exits> ping=<pings> ns=<nanoseconds from the first KVM_RUN to HLT>
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MEM_SIZE (4u << 20)
#define GDT 0x1000
#define PML4 0x2000
#define PDPT 0x3000
#define PD 0x4000
#define IMAGE_AT 0x100000
#define PING_PORT 0x520

static void die(const char *what) {
    fprintf(stderr, "io_ping_reference: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void flat(struct kvm_segment *s, uint16_t selector, uint8_t type) {
    memset(s, 0, sizeof *s);
    s->limit = 0xffffffff;
    s->selector = selector;
    s->type = type;
    s->present = 1;
    s->s = 1;
    s->g = 1;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: io_ping_reference IMAGE N\n");
        return 2;
    }
    uint64_t n = strtoull(argv[2], NULL, 10);
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) die("open /dev/kvm");
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0) die("KVM_CREATE_VM");
    uint8_t *mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED) die("mmap guest memory");
    int img = open(argv[1], O_RDONLY);
    if (img < 0) die("open image");
    ssize_t len = read(img, mem + IMAGE_AT, MEM_SIZE - IMAGE_AT);
    if (len <= 0) die("read image");
    close(img);
    struct kvm_userspace_memory_region region = {.slot = 0, .guest_phys_addr = 0, .memory_size = MEM_SIZE,
                                                  .userspace_addr = (uint64_t)(uintptr_t)mem};
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) die("KVM_SET_USER_MEMORY_REGION");
    ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000UL);
    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0) die("KVM_CREATE_VCPU");
    int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    struct kvm_run *run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED) die("mmap kvm_run");

    /* The same GDT and identity-mapped 2 MiB pages as jkvm's CpuSetup. */
    uint64_t *gdt = (uint64_t *)(mem + GDT);
    gdt[0] = 0;
    gdt[1] = 0x00af9b000000ffffULL;
    gdt[2] = 0x00cf93000000ffffULL;
    uint64_t *pml4 = (uint64_t *)(mem + PML4), *pdpt = (uint64_t *)(mem + PDPT), *pd = (uint64_t *)(mem + PD);
    pml4[0] = PDPT | 3;
    pdpt[0] = PD | 3;
    for (uint64_t i = 0; i < 512; i++) pd[i] = (i << 21) | 0x83;

    struct kvm_sregs sregs;
    if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0) die("KVM_GET_SREGS");
    sregs.gdt.base = GDT;
    sregs.gdt.limit = 3 * 8 - 1;
    flat(&sregs.cs, 0x08, 11);
    sregs.cs.l = 1;
    flat(&sregs.ds, 0x10, 3);
    sregs.ds.db = 1;
    sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
    sregs.cr3 = PML4;
    sregs.cr4 |= 1u << 5;
    sregs.efer |= (1u << 8) | (1u << 10);
    sregs.cr0 |= 1u | (1u << 31);
    if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0) die("KVM_SET_SREGS");
    struct kvm_regs regs = {.rip = IMAGE_AT, .rsp = MEM_SIZE, .rdi = n, .rflags = 2};
    if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0) die("KVM_SET_REGS");

    uint64_t exits = 0, pings = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        if (ioctl(vcpu, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            die("KVM_RUN");
        }
        exits++;
        if (run->exit_reason == KVM_EXIT_IO) {
            if (run->io.direction == KVM_EXIT_IO_OUT && run->io.port == PING_PORT) pings++;
            continue;
        }
        if (run->exit_reason == KVM_EXIT_HLT) break;
        fprintf(stderr, "io_ping_reference: unexpected exit reason %u\n", run->exit_reason);
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long long ns = (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
    printf("exits=%llu pings=%llu ns=%lld\n", (unsigned long long)exits, (unsigned long long)pings, ns);
    return 0;
}
