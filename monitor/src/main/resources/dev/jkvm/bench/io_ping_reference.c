/*
 * io_ping_reference.c - the C reference for `jkvm bench`: the smallest monitor that runs the io-ping
 * guest the way jkvm does (same long-mode set-up as CpuSetup, same ports), so the cost of one
 * port-I/O exit round trip can be compared side by side with jkvm's Java KVM_RUN loop.
 *
 * Usage: io_ping_reference IMAGE N           (IMAGE: io-ping.bin, a flat long-mode image loaded at 1 MiB)
 * Prints: exits=<exits> pings=<pings> ns=<nanoseconds from the first KVM_RUN to HLT>
 *         user_ns=<user CPU of the process> sys_ns=<system CPU of the process>
 *
 * Usage: io_ping_reference --start IMAGE N   creates N VMs one after another, each run to its first
 *         exit (the guest's first ping) and kept open, the way jkvm sets a VM up (supported CPUID,
 *         long mode); prints vms=<N> ns=<create of the first to first exit of the last>
 *         first_ns=<the first VM alone> rss_growth=<bytes of RSS the N VMs added>
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
#include <sys/resource.h>
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

struct guest {
    int vm, vcpu;
    uint8_t *mem;
    struct kvm_run *run;
};

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static long long rss_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long long size = 0, resident = 0;
    if (f == NULL || fscanf(f, "%lld %lld", &size, &resident) != 2) die("read /proc/self/statm");
    fclose(f);
    return resident * sysconf(_SC_PAGESIZE);
}

/* Everything jkvm does to a VM before its first KVM_RUN: memory, image, vCPU, CPUID, long mode. */
static struct guest create_guest(int kvm, const uint8_t *image, size_t len, struct kvm_cpuid2 *cpuid, uint64_t n) {
    struct guest g;
    g.vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (g.vm < 0) die("KVM_CREATE_VM");
    g.mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (g.mem == MAP_FAILED) die("mmap guest memory");
    memcpy(g.mem + IMAGE_AT, image, len);
    struct kvm_userspace_memory_region region = {.slot = 0, .guest_phys_addr = 0, .memory_size = MEM_SIZE,
                                                  .userspace_addr = (uint64_t)(uintptr_t)g.mem};
    if (ioctl(g.vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) die("KVM_SET_USER_MEMORY_REGION");
    ioctl(g.vm, KVM_SET_TSS_ADDR, 0xfffbd000UL);
    g.vcpu = ioctl(g.vm, KVM_CREATE_VCPU, 0);
    if (g.vcpu < 0) die("KVM_CREATE_VCPU");
    int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    g.run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, g.vcpu, 0);
    if (g.run == MAP_FAILED) die("mmap kvm_run");
    if (cpuid != NULL && ioctl(g.vcpu, KVM_SET_CPUID2, cpuid) < 0) die("KVM_SET_CPUID2");

    /* The same GDT and identity-mapped 2 MiB pages as jkvm's CpuSetup. */
    uint64_t *gdt = (uint64_t *)(g.mem + GDT);
    gdt[0] = 0;
    gdt[1] = 0x00af9b000000ffffULL;
    gdt[2] = 0x00cf93000000ffffULL;
    uint64_t *pml4 = (uint64_t *)(g.mem + PML4), *pdpt = (uint64_t *)(g.mem + PDPT), *pd = (uint64_t *)(g.mem + PD);
    pml4[0] = PDPT | 3;
    pdpt[0] = PD | 3;
    for (uint64_t i = 0; i < 512; i++) pd[i] = (i << 21) | 0x83;

    struct kvm_sregs sregs;
    if (ioctl(g.vcpu, KVM_GET_SREGS, &sregs) < 0) die("KVM_GET_SREGS");
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
    if (ioctl(g.vcpu, KVM_SET_SREGS, &sregs) < 0) die("KVM_SET_SREGS");
    struct kvm_regs regs = {.rip = IMAGE_AT, .rsp = MEM_SIZE, .rdi = n, .rflags = 2};
    if (ioctl(g.vcpu, KVM_SET_REGS, &regs) < 0) die("KVM_SET_REGS");
    return g;
}

static int run_once(struct guest *g) {
    for (;;) {
        if (ioctl(g->vcpu, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            die("KVM_RUN");
        }
        return g->run->exit_reason;
    }
}

static size_t read_image(const char *path, uint8_t *buf, size_t size) {
    int img = open(path, O_RDONLY);
    if (img < 0) die("open image");
    ssize_t len = read(img, buf, size);
    if (len <= 0) die("read image");
    close(img);
    return (size_t)len;
}

static struct kvm_cpuid2 *supported_cpuid(int kvm) {
    int entries = 256;
    struct kvm_cpuid2 *c = calloc(1, sizeof *c + entries * sizeof(struct kvm_cpuid_entry2));
    if (c == NULL) die("calloc");
    c->nent = entries;
    if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c) < 0) die("KVM_GET_SUPPORTED_CPUID");
    return c;
}

static int start(int kvm, const uint8_t *image, size_t len, int n) {
    struct kvm_cpuid2 *cpuid = supported_cpuid(kvm);
    struct guest *guests = calloc(n, sizeof *guests);
    if (guests == NULL) die("calloc");
    long long rss0 = rss_bytes(), t0 = now_ns(), first = 0;
    for (int i = 0; i < n; i++) {
        guests[i] = create_guest(kvm, image, len, cpuid, 1);
        int reason = run_once(&guests[i]);
        if (reason != KVM_EXIT_IO || guests[i].run->io.port != PING_PORT) {
            fprintf(stderr, "io_ping_reference: VM %d: first exit reason %d, expected a ping\n", i, reason);
            return 1;
        }
        if (i == 0) first = now_ns() - t0;
    }
    long long ns = now_ns() - t0, rss = rss_bytes() - rss0;
    printf("vms=%d ns=%lld first_ns=%lld rss_growth=%lld\n", n, ns, first, rss);
    return 0;
}

int main(int argc, char **argv) {
    int starting = argc == 4 && strcmp(argv[1], "--start") == 0;
    if (argc != 3 && !starting) {
        fprintf(stderr, "usage: io_ping_reference IMAGE N | io_ping_reference --start IMAGE N\n");
        return 2;
    }
    uint64_t n = strtoull(argv[starting ? 3 : 2], NULL, 10);
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) die("open /dev/kvm");
    static uint8_t image[MEM_SIZE - IMAGE_AT];
    size_t len = read_image(argv[starting ? 2 : 1], image, sizeof image);
    if (starting) return start(kvm, image, len, (int)n);

    struct kvm_cpuid2 *cpuid = supported_cpuid(kvm);
    struct guest g = create_guest(kvm, image, len, cpuid, n);
    uint64_t exits = 0, pings = 0;
    long long t0 = now_ns();
    for (;;) {
        int reason = run_once(&g);
        exits++;
        if (reason == KVM_EXIT_IO) {
            if (g.run->io.direction == KVM_EXIT_IO_OUT && g.run->io.port == PING_PORT) pings++;
            continue;
        }
        if (reason == KVM_EXIT_HLT) break;
        fprintf(stderr, "io_ping_reference: unexpected exit reason %d\n", reason);
        return 1;
    }
    long long ns = now_ns() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("exits=%llu pings=%llu ns=%lld user_ns=%lld sys_ns=%lld\n", (unsigned long long)exits, (unsigned long long)pings, ns,
           ru.ru_utime.tv_sec * 1000000000LL + ru.ru_utime.tv_usec * 1000LL,
           ru.ru_stime.tv_sec * 1000000000LL + ru.ru_stime.tv_usec * 1000LL);
    return 0;
}
