#ifndef RECSYS_CKERNELS_H
#define RECSYS_CKERNELS_H
/// What Swift has no (safe) spelling for: CPU controls and a signal handler.
#include <stddef.h>
#include <stdint.h>

/// Software prefetch. Recall's re-scoring loop touches rows at random; asking
/// for row i+8 while scoring row i hides memory latency.
static inline void recsys_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

/// Flush denormals to zero on this thread (x86 MXCSR FTZ|DAZ). Adam's moment
/// estimates decay geometrically for parameters with zero gradient (dead ReLU
/// units, untouched rows) into the denormal range, where each multiply costs
/// ~100 cycles: training slowed 4x over five epochs without this.
void recsys_flush_denormals(void);

/// CRC32C (Castagnoli polynomial, as iSCSI, ext4 and LevelDB use) of `n`
/// bytes, continuing from `crc` (0 to start): `recsys_crc32c(0, "123456789", 9)`
/// is 0xE3069283. Uses the SSE4.2 `crc32` instruction where the CPU has it
/// (about 8 bytes per 3 cycles), a byte table elsewhere.
uint32_t recsys_crc32c(uint32_t crc, const void *data, size_t n);

/// Installs a SIGBUS handler that writes `message` (copied, at most 1023
/// bytes) to stderr and exits with status 74 (EX_IOERR). SIGBUS here means a
/// read of a memory-mapped page the file no longer has: a store truncated
/// under a running process. The handler only calls write(2) and _exit(2),
/// which are async-signal-safe.
void recsys_on_sigbus_exit(const char *message);

/// Installs SIGSEGV and SIGBUS handlers that write `message` (copied, at
/// most 1023 bytes) to stderr, then hand the signal to the handler that was
/// installed before (the Swift runtime's backtracer, or the default action).
/// A store damaged inside LMDB's B-tree pages can make LMDB 0.9 (which has
/// no page checksums) fault; this says so before the backtrace.
void recsys_explain_fatal_signals(const char *message);
/// The integer dot product of a 16-bit query and an 8-bit row of `d`
/// components (accumulated in 32 bits: exact while d * 32767 * 127 < 2^31,
/// so callers scale the query to at most (2^31 - 1) / (127 * d)). In C so
/// that the compiler vectorises it (widening multiply-adds); an integer sum
/// needs no reassociation licence, a float one would.
int32_t recsys_dot_i16_i8(const int16_t *q, const int8_t *x, int d);
/// memmem(3): the first `needle` in `haystack`, or NULL.
const void *recsys_memmem(const void *haystack, size_t haystack_length, const void *needle, size_t needle_length);
#endif
