/*
 * /init of the built-in `linux` guest: a static program, PID 1 of an initramfs jkvm writes itself.
 * Boots, prints a ready line, runs the workload the kernel command line names, prints the guest
 * kernel's steal time from /proc/stat and a summary, and powers the VM off through jkvm's power-off
 * port (0x524: the value written is the VM's exit status, 0 = clean).
 *
 * Command line (jkvm appends jkvm.arg from --arg; --cmdline adds the rest):
 *   jkvm.arg=N            seconds of work (default 3)
 *   jkvm.work=cpu         a busy loop counting iterations, a progress line every second (default)
 *   jkvm.work=sleep       a 10 ms timer sleep loop (clock_nanosleep, absolute), lateness measured
 *   jkvm.work=both        both at once: the sleep loop in a child process beside the busy loop
 *
 * Why C and not busybox sh: one small binary, no shell start-up per step, and the port write needs
 * iopl(), which no busybox applet offers. Built with gcc -static at build time (guests/src/Makefile).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define POWER_OFF_PORT 0x524
#define SLEEP_PERIOD_NS 10000000L

static char cmdline[4096];

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static const char *param(const char *key) {
    size_t n = strlen(key);
    for (char *p = cmdline; (p = strstr(p, key)) != NULL; p += n) {
        if ((p == cmdline || p[-1] == ' ') && p[n] == '=') return p + n + 1;
    }
    return NULL;
}

/* The "cpu" line of /proc/stat: user nice system idle iowait irq softirq steal, in USER_HZ ticks. */
static int read_steal(unsigned long long *steal, unsigned long long *total) {
    char buf[512];
    int fd = open("/proc/stat", O_RDONLY);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = 0;
    unsigned long long v[8] = {0};
    if (sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8) return -1;
    *steal = v[7];
    *total = 0;
    for (int i = 0; i < 8; i++) *total += v[i];
    return 0;
}

static void power_off(int status) {
    fflush(stdout);
    sync();
    if (ioperm(POWER_OFF_PORT, 1, 1) == 0) outb((unsigned char) status, POWER_OFF_PORT);
    printf("jkvm-linux: the power-off port did not end the VM (%s); rebooting\n", strerror(errno));
    fflush(stdout);
    reboot(RB_AUTOBOOT);
    for (;;) pause();
}

static unsigned long long cpu_loop(long long end) {
    unsigned long long iterations = 0;
    long long next_report = now_ns() + 1000000000LL;
    for (;;) {
        for (int i = 0; i < 100000; i++) {
            iterations++;
            __asm__ volatile("" : "+r"(iterations));
        }
        long long t = now_ns();
        if (t >= next_report) {
            printf("jkvm-linux: progress %llu\n", iterations);
            fflush(stdout);
            next_report += 1000000000LL;
        }
        if (t >= end) return iterations;
    }
}

static void sleep_loop(long long end) {
    long long due = now_ns();
    long long late_sum = 0, late_max = 0, count = 0;
    for (;;) {
        due += SLEEP_PERIOD_NS;
        if (due >= end) break;
        struct timespec ts = {due / 1000000000LL, due % 1000000000LL};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {}
        long long late = now_ns() - due;
        late_sum += late;
        if (late > late_max) late_max = late;
        count++;
    }
    printf("jkvm-linux: sleep loop: %lld wake-ups of %ld ms, lateness mean %lld us, max %lld us\n", count, SLEEP_PERIOD_NS / 1000000,
           count ? late_sum / count / 1000 : 0, late_max / 1000);
}

int main(void) {
    mount("proc", "/proc", "proc", 0, NULL);
    int fd = open("/proc/cmdline", O_RDONLY);
    if (fd >= 0) {
        ssize_t n = read(fd, cmdline, sizeof cmdline - 1);
        if (n > 0) cmdline[n] = 0;
        close(fd);
    }
    const char *a = param("jkvm.arg");
    long seconds = a ? strtol(a, NULL, 10) : 3;
    if (seconds < 0) seconds = 0;
    const char *w = param("jkvm.work");
    const char *work = w && strncmp(w, "sleep", 5) == 0 ? "sleep" : w && strncmp(w, "both", 4) == 0 ? "both" : "cpu";

    unsigned long long steal0 = 0, total0 = 0, steal1 = 0, total1 = 0;
    read_steal(&steal0, &total0);
    long long start = now_ns(), end = start + seconds * 1000000000LL;
    printf("jkvm-linux: ready, work=%s for %ld s\n", work, seconds);
    fflush(stdout);

    unsigned long long iterations = 0;
    pid_t child = -1;
    if (strcmp(work, "sleep") == 0) {
        sleep_loop(end);
    } else {
        if (strcmp(work, "both") == 0) {
            fflush(stdout);
            child = fork();
            if (child == 0) {
                sleep_loop(end);
                fflush(stdout);
                _exit(0);
            }
        }
        iterations = cpu_loop(end);
        if (child > 0) waitpid(child, NULL, 0);
    }
    long long elapsed = now_ns() - start;
    read_steal(&steal1, &total1);
    long hz = sysconf(_SC_CLK_TCK);
    printf("jkvm-linux: /proc/stat steal %llu ticks at %ld Hz over the workload (%llu since boot)\n", steal1 - steal0, hz, steal1);
    printf("jkvm-linux: summary work=%s elapsed_ms=%lld iterations=%llu steal_ms=%llu\n", work, elapsed / 1000000, iterations,
           (steal1 - steal0) * 1000 / (unsigned long long) hz);
    power_off(0);
    return 0;
}
