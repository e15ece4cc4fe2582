/* The limit for the store benchmark: liblmdb from C, one key per vector
 * (4-byte big-endian row number), values raw float32.
 *   c_loop BASE.fvecs DBDIR  -> JSON lines on stdout
 * Two imports: "import" times only the puts and the commit, from memory,
 * without fsync (MDB_NOSYNC), the loop's best case; "import from the file,
 * synced" times what `recsys embedding import` does (read the file, put,
 * commit with fsync), median of three, each into a fresh environment. */
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
#define CHECK(x) do { int rc_ = (x); if (rc_) { fprintf(stderr, "%s: %s\n", #x, mdb_strerror(rc_)); exit(1); } } while (0)

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: c_loop BASE.fvecs DBDIR\n"); return 2; }
    FILE *f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 1; }
    int d; if (fread(&d, 4, 1, f) != 1) return 1;
    fseek(f, 0, SEEK_END); long bytes = ftell(f); fseek(f, 0, SEEK_SET);
    long n = bytes / (4 * (d + 1));
    float *base = malloc(sizeof(float) * n * d);
    for (long i = 0; i < n; i++) { int dd; if (fread(&dd, 4, 1, f) != 1 || fread(base + i * d, 4, d, f) != (size_t)d) return 1; }
    fclose(f);

    double durable[3];
    for (int rep = 0; rep < 3; rep++) {
        char dir[4096]; snprintf(dir, sizeof dir, "%s/durable-%d", argv[2], rep);
        char cmd[4200]; snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
        if (system(cmd) != 0) return 1;
        double t = now();
        FILE *g = fopen(argv[1], "rb");
        float *v = malloc(sizeof(float) * d);
        MDB_env *e; MDB_txn *w; MDB_dbi db;
        CHECK(mdb_env_create(&e)); CHECK(mdb_env_set_mapsize(e, 1L << 34));
        CHECK(mdb_env_open(e, dir, 0, 0644));
        CHECK(mdb_txn_begin(e, NULL, 0, &w)); CHECK(mdb_dbi_open(w, NULL, 0, &db));
        for (long i = 0; i < n; i++) {
            int dd; if (fread(&dd, 4, 1, g) != 1 || fread(v, 4, d, g) != (size_t)d) return 1;
            unsigned char k[4] = { i >> 24, i >> 16, i >> 8, i };
            MDB_val key = { 4, k }, val = { sizeof(float) * d, v };
            CHECK(mdb_put(w, db, &key, &val, MDB_APPEND));
        }
        CHECK(mdb_txn_commit(w));
        mdb_env_close(e); fclose(g); free(v);
        durable[rep] = now() - t;
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0) return 1;
    }
    for (int i = 0; i < 3; i++) for (int j = i + 1; j < 3; j++) if (durable[j] < durable[i]) { double x = durable[i]; durable[i] = durable[j]; durable[j] = x; }
    printf("{\"workload\": \"import from the file, synced\", \"rows_per_second\": %.0f}\n", n / durable[1]);

    MDB_env *env; MDB_txn *txn; MDB_dbi dbi;
    CHECK(mdb_env_create(&env)); CHECK(mdb_env_set_mapsize(env, 1L << 34));
    CHECK(mdb_env_open(env, argv[2], MDB_NOSYNC, 0644));
    double t0 = now(); clock_t c0 = clock();
    CHECK(mdb_txn_begin(env, NULL, 0, &txn)); CHECK(mdb_dbi_open(txn, NULL, 0, &dbi));
    for (long i = 0; i < n; i++) {
        unsigned char k[4] = { i >> 24, i >> 16, i >> 8, i };
        MDB_val key = { 4, k }, val = { sizeof(float) * d, base + i * d };
        CHECK(mdb_put(txn, dbi, &key, &val, MDB_APPEND));
    }
    CHECK(mdb_txn_commit(txn));
    printf("{\"workload\": \"import\", \"rows_per_second\": %.0f, \"cpu_seconds\": %.3f}\n", n / (now() - t0), (double)(clock() - c0) / CLOCKS_PER_SEC);

    CHECK(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn));
    srand(7); float sink = 0; long gets = 1000000;
    t0 = now();
    for (long g = 0; g < gets; g++) {
        long i = ((long)rand() * 65536L + rand()) % n;
        unsigned char k[4] = { i >> 24, i >> 16, i >> 8, i };
        MDB_val key = { 4, k }, val;
        CHECK(mdb_get(txn, dbi, &key, &val));
        sink += ((float *)val.mv_data)[0];
    }
    printf("{\"workload\": \"point get\", \"ns_per_op\": %.1f}\n", (now() - t0) / gets * 1e9);
    float q[4096]; for (int j = 0; j < d; j++) q[j] = 0.125f;
    MDB_cursor *cur; MDB_val key, val;
    double best_scan = 1e9;
    for (int rep = 0; rep < 3; rep++) {
        t0 = now();
        CHECK(mdb_cursor_open(txn, dbi, &cur));
        float best = -1e30f;
        while (mdb_cursor_get(cur, &key, &val, MDB_NEXT) == 0) {
            const float *x = val.mv_data; float s = 0;
            for (int j = 0; j < d; j++) s += q[j] * x[j];
            if (s > best) best = s;
        }
        mdb_cursor_close(cur); sink += best;
        double t = now() - t0; if (t < best_scan) best_scan = t;
    }
    printf("{\"workload\": \"full scan (cursor, one key per vector)\", \"seconds\": %.4f}\n", best_scan);
    double best_arr = 1e9;
    for (int rep = 0; rep < 3; rep++) {
        t0 = now(); float best = -1e30f;
        for (long i = 0; i < n; i++) { const float *x = base + i * d; float s = 0; for (int j = 0; j < d; j++) s += q[j] * x[j]; if (s > best) best = s; }
        sink += best; double t = now() - t0; if (t < best_arr) best_arr = t;
    }
    printf("{\"workload\": \"full scan (one contiguous in-memory array)\", \"seconds\": %.4f}\n", best_arr);
    mdb_txn_abort(txn); mdb_env_close(env);
    if (sink == 12345.0f) printf("\n");
    return 0;
}
