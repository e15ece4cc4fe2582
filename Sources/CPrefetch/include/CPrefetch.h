#ifndef RECSYS_CPREFETCH_H
#define RECSYS_CPREFETCH_H
/// Software prefetch: Swift has no intrinsic for it. Recall's re-scoring loop
/// touches rows at random; asking for row i+8 while scoring row i hides most
/// of the memory latency.
static inline void recsys_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }
#endif
