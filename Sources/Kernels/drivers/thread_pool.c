// A small fork-join pool for a 2-core machine shared with other processes.
// Waiting is polite: a participant spins (with pause) for a few microseconds,
// because the next parallel region usually follows at once, then sleeps on a
// condition variable. Spinning barriers would burn a core a neighbour needs.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nd_forward.h"

/// A hint to the core that this thread is spinning (lets the sibling hyperthread run).
static inline void nd_spin_pause(void) {
#if defined(__x86_64__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ volatile("yield");
#endif
}

/// One thread's run of consecutive tasks (nd_pool_run_runs): its owner claims from the front, a
/// thread whose own run is done steals from the back of another's. front << 32 | back, by CAS.
typedef struct {
  _Alignas(64) _Atomic uint64_t span;
} nd_run;

struct nd_pool {
  int threads;
  int64_t spin_ns;
  pthread_t *workers;
  pthread_mutex_t mutex;
  pthread_cond_t wake;
  pthread_cond_t done;
  nd_task_fn fn;
  void *ctx;
  int by_runs;   // the region's tasks come from `runs`, one per participant (nd_pool_run_runs)
  nd_run *runs;  // [threads]
  // Sleepers announce themselves (under the mutex, then re-check), so the usual
  // region, whose participants are all spinning, signals nobody and takes no lock:
  // a lock held for a needless signal made the other thread sleep in the kernel.
  _Atomic int sleeping_workers;
  _Atomic int sleeping_caller;
  _Atomic int stop;
  // The words every task touches, each on its own cache line, away from the rest.
  // One word claims tasks: generation (24 bits) | task count (20) | next task (20).
  // A late worker can never claim a task of a finished region: the generation differs.
  _Alignas(64) _Atomic uint64_t state;
  _Alignas(64) _Atomic int64_t completed;
  char pad[56];
};

#define ND_TASK_BITS 20
#define ND_TASK_MASK ((1ull << ND_TASK_BITS) - 1)
#define ND_GEN_OF(s) ((s) >> (2 * ND_TASK_BITS))

typedef struct { nd_pool *pool; int index; } nd_worker_arg;

static int64_t nd_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/// Spins until cond() holds or the spin budget is spent; returns whether it holds.
#define ND_SPIN_UNTIL(pool, cond)                                   \
  ({                                                                \
    int ok_ = (cond);                                               \
    if (!ok_ && (pool)->spin_ns > 0) {                              \
      int64_t end_ = nd_now_ns() + (pool)->spin_ns;                 \
      for (int i_ = 1; !(ok_ = (cond)); i_++) {                     \
        nd_spin_pause();                                                \
        if ((i_ & 63) == 0 && nd_now_ns() > end_) break;            \
      }                                                             \
    }                                                               \
    ok_;                                                            \
  })

/// The task a ticket of a run-ordered region stands for: the front of `thread`'s own run, else the
/// back of another's. There are as many tickets as tasks, so every ticket finds one.
static int64_t nd_pool_claim_run(nd_pool *pool, int thread) {
  for (;;)
    for (int i = 0; i < pool->threads; i++) {
      const int r = (thread + i) % pool->threads;
      _Atomic uint64_t *span = &pool->runs[r].span;
      uint64_t s = atomic_load(span);
      for (;;) {
        const uint32_t front = (uint32_t)(s >> 32), back = (uint32_t)s;
        if (front >= back) break;
        if (atomic_compare_exchange_weak(span, &s, i == 0 ? s + (1ull << 32) : s - 1)) return i == 0 ? front : back - 1;
      }
    }
}

/// Claims and runs tasks of generation `gen` until none is left. A ticket of the generation is
/// claimed first, so a late worker never takes a task (or a run's task) of a finished region.
static void nd_pool_work(nd_pool *pool, uint64_t gen, int thread) {
  for (;;) {
    uint64_t s = atomic_load(&pool->state);
    for (;;) {
      if (ND_GEN_OF(s) != gen) return;
      uint64_t tasks = (s >> ND_TASK_BITS) & ND_TASK_MASK, next = s & ND_TASK_MASK;
      if (next >= tasks) return;
      if (atomic_compare_exchange_weak(&pool->state, &s, s + 1)) break;
    }
    pool->fn(pool->ctx, pool->by_runs ? nd_pool_claim_run(pool, thread) : (int64_t)(s & ND_TASK_MASK), thread);
    int64_t total = (int64_t)((s >> ND_TASK_BITS) & ND_TASK_MASK);
    if (atomic_fetch_add(&pool->completed, 1) + 1 == total && thread != 0 && atomic_load(&pool->sleeping_caller)) {
      pthread_mutex_lock(&pool->mutex);
      pthread_cond_signal(&pool->done);
      pthread_mutex_unlock(&pool->mutex);
    }
  }
}

static void *nd_worker_main(void *raw) {
  nd_worker_arg arg = *(nd_worker_arg *)raw;
  free(raw);
  nd_pool *pool = arg.pool;
  uint64_t seen = 0;
  for (;;) {
    if (!ND_SPIN_UNTIL(pool, ND_GEN_OF(atomic_load(&pool->state)) != seen || atomic_load(&pool->stop))) {
      pthread_mutex_lock(&pool->mutex);
      atomic_fetch_add(&pool->sleeping_workers, 1);
      while (ND_GEN_OF(atomic_load(&pool->state)) == seen && !atomic_load(&pool->stop))
        pthread_cond_wait(&pool->wake, &pool->mutex);
      atomic_fetch_sub(&pool->sleeping_workers, 1);
      pthread_mutex_unlock(&pool->mutex);
    }
    if (atomic_load(&pool->stop)) break;
    seen = ND_GEN_OF(atomic_load(&pool->state));
    nd_pool_work(pool, seen, arg.index);
  }
  return NULL;
}

nd_pool *nd_pool_create(int threads, int spin_microseconds) {
  nd_pool *pool = aligned_alloc(64, sizeof(nd_pool));  // for the cache-line-aligned words
  if (!pool) return NULL;
  memset(pool, 0, sizeof(nd_pool));
  pool->threads = threads < 1 ? 1 : threads;
  pool->spin_ns = (int64_t)(spin_microseconds < 0 ? 0 : spin_microseconds) * 1000;
  pthread_mutex_init(&pool->mutex, NULL);
  pthread_cond_init(&pool->wake, NULL);
  pthread_cond_init(&pool->done, NULL);
  pool->workers = calloc((size_t)pool->threads, sizeof(pthread_t));
  pool->runs = aligned_alloc(64, (size_t)pool->threads * sizeof(nd_run));
  if (!pool->workers || !pool->runs) {
    free(pool->workers);
    free(pool->runs);
    free(pool);
    return NULL;
  }
  for (int i = 1; i < pool->threads; i++) {
    nd_worker_arg *arg = malloc(sizeof(nd_worker_arg));
    arg->pool = pool;
    arg->index = i;
    if (pthread_create(&pool->workers[i], NULL, nd_worker_main, arg) != 0) {
      free(arg);
      pool->threads = i;  // run with the workers that did start
      break;
    }
  }
  return pool;
}

void nd_pool_destroy(nd_pool *pool) {
  if (!pool) return;
  pthread_mutex_lock(&pool->mutex);
  atomic_store(&pool->stop, 1);
  pthread_cond_broadcast(&pool->wake);
  pthread_mutex_unlock(&pool->mutex);
  for (int i = 1; i < pool->threads; i++) pthread_join(pool->workers[i], NULL);
  pthread_mutex_destroy(&pool->mutex);
  pthread_cond_destroy(&pool->wake);
  pthread_cond_destroy(&pool->done);
  free(pool->workers);
  free(pool->runs);
  free(pool);
}

int nd_pool_threads(const nd_pool *pool) { return pool ? pool->threads : 1; }

static void nd_pool_region(nd_pool *pool, nd_task_fn fn, void *ctx, int64_t tasks, int by_runs) {
  if (tasks <= 0) return;
  if (!pool || pool->threads == 1 || tasks == 1 || tasks > (int64_t)ND_TASK_MASK) {
    for (int64_t t = 0; t < tasks; t++) fn(ctx, t, 0);
    return;
  }
  pool->fn = fn;
  pool->ctx = ctx;
  pool->by_runs = by_runs;
  if (by_runs)  // published with the region below
    for (int r = 0; r < pool->threads; r++)
      atomic_store_explicit(&pool->runs[r].span,
                            (uint64_t)(tasks * r / pool->threads) << 32 | (uint64_t)(tasks * (r + 1) / pool->threads),
                            memory_order_relaxed);
  atomic_store(&pool->completed, 0);
  uint64_t gen = (ND_GEN_OF(atomic_load(&pool->state)) + 1) & ((1ull << 24) - 1);
  if (gen == 0) gen = 1;  // 0 is the workers' initial "seen"
  // Publish, then look for sleepers (both sequentially consistent): a worker that
  // announced itself after this load re-checks the state and sees the new region.
  atomic_store(&pool->state, (gen << (2 * ND_TASK_BITS)) | ((uint64_t)tasks << ND_TASK_BITS));
  if (atomic_load(&pool->sleeping_workers) > 0) {
    pthread_mutex_lock(&pool->mutex);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
  }
  nd_pool_work(pool, gen, 0);
  // Tasks a worker claimed may still be running; wait for them, not for idle workers.
  if (!ND_SPIN_UNTIL(pool, atomic_load(&pool->completed) == tasks)) {
    pthread_mutex_lock(&pool->mutex);
    atomic_store(&pool->sleeping_caller, 1);
    while (atomic_load(&pool->completed) != tasks) pthread_cond_wait(&pool->done, &pool->mutex);
    atomic_store(&pool->sleeping_caller, 0);
    pthread_mutex_unlock(&pool->mutex);
  }
}

void nd_pool_run(nd_pool *pool, nd_task_fn fn, void *ctx, int64_t tasks) { nd_pool_region(pool, fn, ctx, tasks, 0); }

void nd_pool_run_runs(nd_pool *pool, nd_task_fn fn, void *ctx, int64_t tasks) {
  nd_pool_region(pool, fn, ctx, tasks, 1);
}
