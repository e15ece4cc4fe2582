#ifndef RECSYS_CKERNELS_H
#define RECSYS_CKERNELS_H
/// CPU features Swift has no spelling for.
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
#endif
