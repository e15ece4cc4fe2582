#ifndef RECSYS_CKERNELS_H
#define RECSYS_CKERNELS_H
/// Two CPU controls Swift has no spelling for.

/// Software prefetch. Recall's re-scoring loop touches rows at random; asking
/// for row i+8 while scoring row i hides memory latency.
static inline void recsys_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

/// Flush denormals to zero on this thread (x86 MXCSR FTZ|DAZ). Adam's moment
/// estimates decay geometrically for parameters with zero gradient (dead ReLU
/// units, untouched rows) into the denormal range, where each multiply costs
/// ~100 cycles: training slowed 4x over five epochs without this.
void recsys_flush_denormals(void);
#endif
