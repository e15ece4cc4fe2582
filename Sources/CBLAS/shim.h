#include <cblas.h>

/* LAPACK's Cholesky factorisation and the inverse from it (OpenBLAS ships
 * LAPACK; its cblas.h does not declare them). Column-major, Fortran calling. */
void spotrf_(const char *uplo, const int *n, float *a, const int *lda, int *info);
void spotri_(const char *uplo, const int *n, float *a, const int *lda, int *info);
