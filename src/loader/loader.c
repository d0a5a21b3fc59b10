/* The loader: pair lists, batch filling and the prefetch thread. */
#include "loader/loader.h"
#include "tokenizer/tokenizer.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    LoaderBatch b;
    int64_t epoch, index; /* what it holds */
    int rc;               /* 0 filled, -1 error */
    char err[1024];
} Slot;

struct Loader {
    const Store *store;
    LoaderMode mode;
    LoaderConfig cfg;
    int R;
    int64_t *pairs; // (n_pairs) caption indices served
    int64_t n_pairs, n_failed, n_batches;
    int64_t shard_begin, shard_end; /* eval */
    int64_t *perm;                  // (n_pairs) worker-owned, for perm_epoch
    int32_t *positions;             // (T) worker-owned frame positions
    int64_t perm_epoch;
    Slot slot[2];
    int cur; /* slot of the request in flight / last request */
    LoaderPosition pos;
    int pending;     /* a request for pos is in flight (or done, not taken) */
    int end_pending; /* the epoch ended; pos already points to the next one */
    /* worker */
    pthread_t thread;
    int has_thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int req, done, quit;
};

static void batch_free(LoaderBatch *b) {
    free(b->caption);
    free(b->video);
    free(b->text);
    free(b->text_mask);
    free(b->frames);
    free(b->video_mask);
}

static int batch_alloc(LoaderBatch *b, int B, int L, int T, int R) {
    memset(b, 0, sizeof *b);
    b->B = B;
    b->L = L;
    b->T = T;
    b->R = R;
    b->caption = malloc(sizeof(int64_t) * (size_t)B);                      // (B)
    b->video = malloc(sizeof(int32_t) * (size_t)B);                        // (B)
    b->text = malloc(sizeof(int32_t) * (size_t)B * (size_t)L);             // (B, L)
    b->text_mask = malloc(sizeof(int32_t) * (size_t)B * (size_t)L);        // (B, L)
    b->frames = malloc((size_t)B * (size_t)T * (size_t)R * (size_t)R * 3); // (B, T, R, R, 3)
    b->video_mask = malloc(sizeof(int32_t) * (size_t)B * (size_t)T);       // (B, T)
    return b->caption && b->video && b->text && b->text_mask && b->frames && b->video_mask ? 0 : -1;
}

/* One sample j of b from caption c (c < 0: padding). */
static int fill_sample(Loader *l, LoaderBatch *b, int j, int64_t c, char *err, size_t errlen) {
    const int L = b->L, T = b->T;
    const size_t frame_bytes = (size_t)b->R * (size_t)b->R * 3;
    int32_t *text = b->text + (size_t)j * L;                   // (L)
    int32_t *tmask = b->text_mask + (size_t)j * L;             // (L)
    uint8_t *frames = b->frames + (size_t)j * T * frame_bytes; // (T, R, R, 3)
    int32_t *vmask = b->video_mask + (size_t)j * T;            // (T)
    memset(text, 0, sizeof(int32_t) * (size_t)L);
    memset(tmask, 0, sizeof(int32_t) * (size_t)L);
    memset(vmask, 0, sizeof(int32_t) * (size_t)T);
    b->caption[j] = c;
    b->video[j] = -1;
    int n_frames = 0;
    if (c >= 0) {
        const int32_t *ids;
        int32_t n = store_caption_tokens(l->store, c, &ids);
        if (n > L - 2) n = L - 2;
        text[0] = DRL_TOKEN_SOT;
        memcpy(text + 1, ids, sizeof(int32_t) * (size_t)n);
        text[n + 1] = DRL_TOKEN_EOT;
        for (int k = 0; k < n + 2; k++)
            tmask[k] = 1;
        int32_t v = store_caption_video(l->store, c);
        b->video[j] = v;
        if (store_video_ok(l->store, v)) {
            int32_t *pos = l->positions; // (T)
            n_frames = loader_frame_positions(store_video_frame_count(l->store, v), T, pos);
            if (store_read_frames(l->store, v, pos, n_frames, frames, err, errlen) < 0) return -1;
            for (int k = 0; k < n_frames; k++)
                vmask[k] = 1;
        }
    }
    if (n_frames < T)
        memset(frames + (size_t)n_frames * frame_bytes, 0, (size_t)(T - n_frames) * frame_bytes);
    return 0;
}

/* Fills slot s with batch `index` of `epoch` (index < n_batches). */
static void fill_slot(Loader *l, Slot *s) {
    LoaderBatch *b = &s->b;
    const int B = l->cfg.batch_size, w = l->cfg.world, r = l->cfg.rank;
    s->rc = 0;
    s->err[0] = 0;
    if (l->mode == LOADER_TRAIN) {
        if (l->perm_epoch != s->epoch) {
            loader_epoch_permutation(l->cfg.seed, s->epoch, l->n_pairs, l->perm);
            l->perm_epoch = s->epoch;
        }
        b->count = B;
        b->first = -1;
        for (int j = 0; j < B; j++) {
            int64_t g = (s->index * B + j) * w + r;
            if (fill_sample(l, b, j, l->pairs[l->perm[g]], s->err, sizeof s->err) < 0) {
                s->rc = -1;
                return;
            }
        }
    } else {
        int64_t start = l->shard_begin + s->index * B;
        int64_t count = l->shard_end - start;
        count = count < 0 ? 0 : (count > B ? B : count);
        b->count = (int)count;
        b->first = start;
        for (int j = 0; j < B; j++)
            if (fill_sample(l, b, j, j < count ? l->pairs[start + j] : -1, s->err, sizeof s->err) <
                0) {
                s->rc = -1;
                return;
            }
    }
}

static void *worker(void *arg) {
    Loader *l = arg;
    pthread_mutex_lock(&l->mu);
    for (;;) {
        while (!l->req && !l->quit)
            pthread_cond_wait(&l->cv, &l->mu);
        if (l->quit) break;
        Slot *s = &l->slot[l->cur];
        pthread_mutex_unlock(&l->mu);
        fill_slot(l, s);
        pthread_mutex_lock(&l->mu);
        l->req = 0;
        l->done = 1;
        pthread_cond_broadcast(&l->cv);
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

/* Starts filling slot `cur` with the batch at pos. */
static void request(Loader *l, LoaderPosition pos) {
    Slot *s = &l->slot[l->cur];
    s->epoch = pos.epoch;
    s->index = pos.batch;
    l->pending = 1;
    if (!l->has_thread) {
        fill_slot(l, s);
        l->done = 1;
        return;
    }
    pthread_mutex_lock(&l->mu);
    l->done = 0;
    l->req = 1;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
}

static void wait_done(Loader *l) {
    if (!l->has_thread) return;
    pthread_mutex_lock(&l->mu);
    while (!l->done)
        pthread_cond_wait(&l->cv, &l->mu);
    pthread_mutex_unlock(&l->mu);
}

Loader *loader_create(const Store *store, const char *split, LoaderMode mode,
                      const LoaderConfig *cfg, char *err, size_t errlen) {
    if (cfg->batch_size < 1 || cfg->max_words < 2 || cfg->max_frames < 1 || cfg->world < 1 ||
        cfg->rank < 0 || cfg->rank >= cfg->world) {
        snprintf(err, errlen,
                 "loader: bad configuration (batch_size %d >= 1, max_words %d >= 2, max_frames %d "
                 ">= 1, rank %d of %d)",
                 cfg->batch_size, cfg->max_words, cfg->max_frames, cfg->rank, cfg->world);
        return NULL;
    }
    const int64_t *idx;
    int64_t n;
    if (store_split(store, split, &idx, &n, err, errlen) < 0) return NULL;
    Loader *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(err, errlen, "loader: out of memory");
        return NULL;
    }
    l->store = store;
    l->mode = mode;
    l->cfg = *cfg;
    l->R = store_resolution(store);
    l->perm_epoch = -1;
    l->pairs = malloc(sizeof(int64_t) * (size_t)(n > 0 ? n : 1));     // (n)
    l->perm = malloc(sizeof(int64_t) * (size_t)(n > 0 ? n : 1));      // (n)
    l->positions = malloc(sizeof(int32_t) * (size_t)cfg->max_frames); // (T)
    int ok = l->pairs && l->perm && l->positions;
    for (int64_t i = 0; ok && i < n; i++) {
        int bad = !store_video_ok(store, store_caption_video(store, idx[i]));
        l->n_failed += bad;
        if (mode == LOADER_EVAL || !bad) l->pairs[l->n_pairs++] = idx[i];
    }
    const int64_t B = cfg->batch_size, w = cfg->world;
    if (mode == LOADER_TRAIN) {
        l->n_batches = l->n_pairs / (B * w);
    } else {
        int64_t shard = (l->n_pairs + w - 1) / w;
        l->shard_begin = cfg->rank * shard;
        l->shard_end = l->shard_begin + shard < l->n_pairs ? l->shard_begin + shard : l->n_pairs;
        if (l->shard_begin > l->n_pairs) l->shard_begin = l->n_pairs;
        l->n_batches = (shard + B - 1) / B;
    }
    for (int i = 0; ok && i < 2; i++)
        ok =
            batch_alloc(&l->slot[i].b, cfg->batch_size, cfg->max_words, cfg->max_frames, l->R) == 0;
    if (!ok) {
        snprintf(err, errlen, "loader: out of memory for two batches of %d x %d frames of %dx%d",
                 cfg->batch_size, cfg->max_frames, l->R, l->R);
        loader_free(l);
        return NULL;
    }
    if (cfg->prefetch) {
        pthread_mutex_init(&l->mu, NULL);
        pthread_cond_init(&l->cv, NULL);
        if (pthread_create(&l->thread, NULL, worker, l) != 0) {
            snprintf(err, errlen, "loader: cannot start the prefetch thread");
            pthread_mutex_destroy(&l->mu);
            pthread_cond_destroy(&l->cv);
            loader_free(l);
            return NULL;
        }
        l->has_thread = 1;
        l->done = 1; /* nothing in flight */
    }
    return l;
}

void loader_free(Loader *l) {
    if (!l) return;
    if (l->has_thread) {
        pthread_mutex_lock(&l->mu);
        l->quit = 1;
        pthread_cond_broadcast(&l->cv);
        pthread_mutex_unlock(&l->mu);
        pthread_join(l->thread, NULL);
        pthread_mutex_destroy(&l->mu);
        pthread_cond_destroy(&l->cv);
    }
    for (int i = 0; i < 2; i++)
        batch_free(&l->slot[i].b);
    free(l->pairs);
    free(l->perm);
    free(l->positions);
    free(l);
}

/* The position after pos: the next batch, or (epoch + 1, 0). */
static LoaderPosition advance(const Loader *l, LoaderPosition pos, int *epoch_end) {
    pos.batch++;
    *epoch_end = pos.batch >= l->n_batches;
    if (*epoch_end) {
        pos.epoch++;
        pos.batch = 0;
    }
    return pos;
}

int loader_next(Loader *l, const LoaderBatch **out, char *err, size_t errlen) {
    *out = NULL;
    if (l->end_pending) { /* the next epoch's first batch is already in flight */
        l->end_pending = 0;
        return 0;
    }
    if (l->pos.batch >= l->n_batches) { /* empty epoch (or a position past the end) */
        wait_done(l);
        l->pending = 0;
        l->pos.epoch++;
        l->pos.batch = 0;
        return 0;
    }
    if (!l->pending) request(l, l->pos);
    wait_done(l);
    Slot *s = &l->slot[l->cur];
    l->pending = 0;
    if (s->rc < 0) {
        snprintf(err, errlen, "%s", s->err);
        return -1;
    }
    *out = &s->b;
    int epoch_end = 0;
    l->pos = advance(l, l->pos, &epoch_end);
    l->end_pending = epoch_end;
    l->cur ^= 1; /* the other buffer is free: the caller gave it back by calling again */
    if (l->n_batches > 0) request(l, l->pos);
    return 1;
}

LoaderPosition loader_get_position(const Loader *l) {
    LoaderPosition p = l->pos;
    if (l->end_pending) { /* the caller has not seen the end of the epoch yet */
        p.epoch--;
        p.batch = l->n_batches;
    }
    return p;
}

void loader_set_position(Loader *l, LoaderPosition pos) {
    wait_done(l);
    l->pending = 0;
    l->end_pending = 0;
    l->pos = pos;
}

int64_t loader_batches_per_epoch(const Loader *l) {
    return l->n_batches;
}
int64_t loader_num_pairs(const Loader *l) {
    return l->n_pairs;
}
int64_t loader_num_failed_pairs(const Loader *l) {
    return l->n_failed;
}
