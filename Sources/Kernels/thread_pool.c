// A small fork-join pool for a 2-core machine shared with other processes.
// Waiting is polite: a participant spins (with pause) for a few microseconds,
// because the next parallel region usually follows at once, then sleeps on a
// condition variable. Spinning barriers would burn a core a neighbour needs.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <immintrin.h>

#include "nd_forward.h"

struct nd_pool {
  int threads;
  int64_t spin_ns;
  pthread_t *workers;
  pthread_mutex_t mutex;
  pthread_cond_t wake;
  pthread_cond_t done;
  _Atomic uint64_t generation;
  _Atomic int64_t next_task;
  _Atomic int pending;
  _Atomic int stop;
  nd_task_fn fn;
  void *ctx;
  int64_t tasks;
};

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
        _mm_pause();                                                \
        if ((i_ & 63) == 0 && nd_now_ns() > end_) break;            \
      }                                                             \
    }                                                               \
    ok_;                                                            \
  })

static void nd_pool_work(nd_pool *pool, int thread) {
  const int64_t tasks = pool->tasks;
  for (;;) {
    int64_t t = atomic_fetch_add(&pool->next_task, 1);
    if (t >= tasks) break;
    pool->fn(pool->ctx, t, thread);
  }
}

static void *nd_worker_main(void *raw) {
  nd_worker_arg arg = *(nd_worker_arg *)raw;
  free(raw);
  nd_pool *pool = arg.pool;
  uint64_t seen = 0;
  for (;;) {
    if (!ND_SPIN_UNTIL(pool, atomic_load(&pool->generation) != seen || atomic_load(&pool->stop))) {
      pthread_mutex_lock(&pool->mutex);
      while (atomic_load(&pool->generation) == seen && !atomic_load(&pool->stop))
        pthread_cond_wait(&pool->wake, &pool->mutex);
      pthread_mutex_unlock(&pool->mutex);
    }
    if (atomic_load(&pool->stop)) break;
    seen = atomic_load(&pool->generation);
    nd_pool_work(pool, arg.index);
    if (atomic_fetch_sub(&pool->pending, 1) == 1) {
      pthread_mutex_lock(&pool->mutex);
      pthread_cond_signal(&pool->done);
      pthread_mutex_unlock(&pool->mutex);
    }
  }
  return NULL;
}

nd_pool *nd_pool_create(int threads, int spin_microseconds) {
  nd_pool *pool = calloc(1, sizeof(nd_pool));
  if (!pool) return NULL;
  pool->threads = threads < 1 ? 1 : threads;
  pool->spin_ns = (int64_t)(spin_microseconds < 0 ? 0 : spin_microseconds) * 1000;
  pthread_mutex_init(&pool->mutex, NULL);
  pthread_cond_init(&pool->wake, NULL);
  pthread_cond_init(&pool->done, NULL);
  pool->workers = calloc((size_t)pool->threads, sizeof(pthread_t));
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
  free(pool);
}

int nd_pool_threads(const nd_pool *pool) { return pool ? pool->threads : 1; }

void nd_pool_run(nd_pool *pool, nd_task_fn fn, void *ctx, int64_t tasks) {
  if (tasks <= 0) return;
  if (!pool || pool->threads == 1 || tasks == 1) {
    for (int64_t t = 0; t < tasks; t++) fn(ctx, t, 0);
    return;
  }
  pool->fn = fn;
  pool->ctx = ctx;
  pool->tasks = tasks;
  atomic_store(&pool->next_task, 0);
  atomic_store(&pool->pending, pool->threads - 1);
  pthread_mutex_lock(&pool->mutex);
  atomic_fetch_add(&pool->generation, 1);
  pthread_cond_broadcast(&pool->wake);
  pthread_mutex_unlock(&pool->mutex);
  nd_pool_work(pool, 0);
  if (!ND_SPIN_UNTIL(pool, atomic_load(&pool->pending) == 0)) {
    pthread_mutex_lock(&pool->mutex);
    while (atomic_load(&pool->pending) != 0) pthread_cond_wait(&pool->done, &pool->mutex);
    pthread_mutex_unlock(&pool->mutex);
  }
}
