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
