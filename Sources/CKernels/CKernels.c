#define _GNU_SOURCE /* memmem */
#include <string.h>
#include "CKernels.h"
#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
void recsys_flush_denormals(void) { _mm_setcsr(_mm_getcsr() | 0x8040); }
#elif defined(__aarch64__)
void recsys_flush_denormals(void) {
    unsigned long fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    __asm__ volatile("msr fpcr, %0" : : "r"(fpcr | (1UL << 24)));
}
#else
void recsys_flush_denormals(void) {}
#endif

/* CRC32C. Hand-written: Debian has no CRC32C library package (Google's
   crc32c is not packaged), and zlib's crc32 is a different polynomial. */
#include <pthread.h>
static uint32_t crc32c_table[256];

static void crc32c_init_table(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
        crc32c_table[i] = c;
    }
}

static uint32_t crc32c_bytes(uint32_t c, const uint8_t *p, size_t n) {
    while (n--) c = crc32c_table[(c ^ *p++) & 0xFF] ^ (c >> 8);
    return c;
}

#if defined(__x86_64__)
#include <nmmintrin.h>
__attribute__((target("sse4.2")))
static uint32_t crc32c_sse42(uint32_t c, const uint8_t *p, size_t n) {
    uint64_t c64 = c;
    while (n >= 8) {
        uint64_t word;
        __builtin_memcpy(&word, p, 8);
        c64 = _mm_crc32_u64(c64, word);
        p += 8;
        n -= 8;
    }
    c = (uint32_t)c64;
    while (n--) c = _mm_crc32_u8(c, *p++);
    return c;
}
#endif

static int crc32c_mode; /* 1 table, 2 sse4.2 */
static pthread_once_t crc32c_once = PTHREAD_ONCE_INIT;

static void crc32c_setup(void) {
    crc32c_init_table();
#if defined(__x86_64__)
    crc32c_mode = __builtin_cpu_supports("sse4.2") ? 2 : 1;
#else
    crc32c_mode = 1;
#endif
}

uint32_t recsys_crc32c(uint32_t crc, const void *data, size_t n) {
    pthread_once(&crc32c_once, crc32c_setup);
    int mode = crc32c_mode;
    uint32_t c = ~crc;
#if defined(__x86_64__)
    if (mode == 2) return ~crc32c_sse42(c, (const uint8_t *)data, n);
#endif
    return ~crc32c_bytes(c, (const uint8_t *)data, n);
}

#include <signal.h>
#include <string.h>
#include <unistd.h>

/* A message kept for a signal handler: copied once, written with write(2). */
struct handler_message { char text[1024]; size_t length; };

static void keep_message(struct handler_message *m, const char *text) {
    m->length = strlen(text);
    if (m->length >= sizeof m->text) m->length = sizeof m->text - 1;
    memcpy(m->text, text, m->length);
}

static void install(int sig, void (*handler)(int), struct sigaction *previous) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, previous);
}

static struct handler_message sigbus_message;

static void sigbus_exit(int sig) {
    (void)sig;
    ssize_t ignored = write(2, sigbus_message.text, sigbus_message.length);
    (void)ignored;
    _exit(74);
}

void recsys_on_sigbus_exit(const char *message) {
    keep_message(&sigbus_message, message);
    install(SIGBUS, sigbus_exit, NULL);
}

static struct handler_message fatal_message;
static struct sigaction fatal_previous[2]; /* SIGSEGV, SIGBUS */

static void fatal_explain(int sig) {
    ssize_t ignored = write(2, fatal_message.text, fatal_message.length);
    (void)ignored;
    sigaction(sig, &fatal_previous[sig == SIGSEGV ? 0 : 1], NULL);
    /* Pending until this handler returns (the signal is blocked in it); a
       fault would also recur when the access re-runs. Either way the
       previous handler takes it from here. */
    raise(sig);
}

void recsys_explain_fatal_signals(const char *message) {
    keep_message(&fatal_message, message);
    install(SIGSEGV, fatal_explain, &fatal_previous[0]);
    install(SIGBUS, fatal_explain, &fatal_previous[1]);
}

/* glibc's memmem (two-way search, SIMD first-byte scan): Swift's Glibc
   module does not export it, as it is a GNU extension. */
const void *recsys_memmem(const void *haystack, size_t haystack_length, const void *needle, size_t needle_length) {
    return memmem(haystack, haystack_length, needle, needle_length);
}

int32_t recsys_dot_i16_i8(const int16_t *q, const int8_t *x, int d) {
    int32_t s = 0;
    for (int i = 0; i < d; i++) s += (int32_t)q[i] * (int32_t)x[i];
    return s;
}
