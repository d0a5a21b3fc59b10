#include "train/run.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <omp.h>

#include "common/check.h"
#include "common/log.h"
#include "drl/optim.h"
#include "eval/metrics.h"
#include "loader/loader.h"
#include "train/batch_stage.h"
#include "train/mem_plan.h"
#include "train/model_setup.h"
#include "train/run_backend.h"
#include "train/run_eval.h"
#include "train/run_state.h"
#include "viz/curves.h"

void openblas_set_num_threads(int num_threads);

/* ---- signals: the only process-wide state; the handler sets one flag ------- */
static volatile sig_atomic_t g_stop_signal; /* the signal number, 0 none */

static void on_stop_signal(int sig) {
    g_stop_signal = sig;
}

static void install_signal_handlers(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sa.sa_flags = SA_RESTART; /* interrupted system calls resume: the flag is read between steps */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
}

/* ---- the run's context ------------------------------------------------------ */
typedef struct {
    const DrlConfig *cfg;
    DrlComm *comm; /* the run's copy: NCCL is bound to it with the CUDA backend */
    RunBackend be;
    LogState log;
    FILE *logfile;
    char dir[DRL_CONFIG_PATH_MAX];
    char ckpt_last[DRL_CONFIG_PATH_MAX + 32], ckpt_best[DRL_CONFIG_PATH_MAX + 32];
    char *config_text;
    Store *store;
    DrlModel model;
    BertAdam opt;
    float *adam_m, *adam_v; /* (total) backend memory: the optimiser's moments */
    BatchStage stage;       /* training batches in backend memory */
    RunProgress prog;
    int64_t steps_per_epoch, t_total;
    double samples_per_s;
    EvalResult best_eval;
} Run;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int mkdir_p(const char *path) {
    char buf[DRL_CONFIG_PATH_MAX + 64];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0775) && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(buf, 0775) && errno != EEXIST) return -1;
    return 0;
}

static double peak_rss_mib(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

/* Writes text to path atomically (tmp + rename). */
static int write_file_atomic(const char *path, const char *text) {
    char tmp[DRL_CONFIG_PATH_MAX + 16];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return -1;
    int ok = fputs(text, f) >= 0;
    ok = (fflush(f) == 0) && ok;
    ok = (fsync(fileno(f)) == 0) && ok;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path)) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

static void open_outputs(Run *r) {
    const DrlConfig *cfg = r->cfg;
    snprintf(r->dir, sizeof r->dir, "%s", cfg->run.output_dir);
    snprintf(r->ckpt_last, sizeof r->ckpt_last, "%s/ckpt/last.h5", r->dir);
    snprintf(r->ckpt_best, sizeof r->ckpt_best, "%s/ckpt/best.h5", r->dir);
    r->config_text = config_to_string(cfg);
    if (r->comm->rank != 0) return;
    char ck[DRL_CONFIG_PATH_MAX + 8];
    snprintf(ck, sizeof ck, "%s/ckpt", r->dir);
    if (mkdir_p(ck)) {
        fprintf(stderr, "error: run.output_dir '%s': cannot create %s: %s\n", r->dir, ck,
                strerror(errno));
        drl_die(1);
    }
    char path[DRL_CONFIG_PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/log.txt", r->dir);
    r->logfile = fopen(path, "a");
    if (!r->logfile) {
        fprintf(stderr, "error: run.output_dir: cannot write %s: %s\n", path, strerror(errno));
        drl_die(1);
    }
    log_set_mirror(r->logfile);
    snprintf(path, sizeof path, "%s/config.cfg", r->dir);
    if (write_file_atomic(path, r->config_text)) {
        fprintf(stderr, "error: cannot write %s: %s\n", path, strerror(errno));
        drl_die(1);
    }
}

static void append_jsonl(Run *r, cJSON *obj) {
    if (r->comm->rank != 0) return;
    char path[DRL_CONFIG_PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/metrics.jsonl", r->dir);
    char *line = cJSON_PrintUnformatted(obj);
    FILE *f = fopen(path, "a");
    if (f) {
        fprintf(f, "%s\n", line);
        fsync(fileno(f));
        fclose(f);
    } else {
        log_warn("cannot append to %s: %s", path, strerror(errno));
    }
    free(line);
}

static cJSON *metrics_json(const RetrievalMetrics *m) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "R@1", round(m->r1 * 10.0) / 10.0);
    cJSON_AddNumberToObject(o, "R@5", round(m->r5 * 10.0) / 10.0);
    cJSON_AddNumberToObject(o, "R@10", round(m->r10 * 10.0) / 10.0);
    cJSON_AddNumberToObject(o, "MdR", round(m->mdr * 10.0) / 10.0);
    cJSON_AddNumberToObject(o, "MnR", round(m->mnr * 10.0) / 10.0);
    return o;
}

static cJSON *both_json(const RetrievalMetrics *t2v, const RetrievalMetrics *v2t) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "t2v", metrics_json(t2v));
    cJSON_AddItemToObject(o, "v2t", metrics_json(v2t));
    return o;
}

static void print_metrics(const char *what, const EvalResult *e) {
    log_info("%s: %lld queries x %lld videos%s, %.1f s", what, (long long)e->queries,
             (long long)e->videos, e->multi_sentence ? " (multi-sentence protocol)" : "",
             e->seconds);
    log_info("  %-10s %6s %6s %6s %6s %7s", "", "R@1", "R@5", "R@10", "MdR", "MnR");
    log_info("  %-10s %6.1f %6.1f %6.1f %6.1f %7.1f", "text->video", e->t2v.r1, e->t2v.r5,
             e->t2v.r10, e->t2v.mdr, e->t2v.mnr);
    log_info("  %-10s %6.1f %6.1f %6.1f %6.1f %7.1f", "video->text", e->v2t.r1, e->v2t.r5,
             e->v2t.r10, e->v2t.mdr, e->v2t.mnr);
    if (e->have_dsl) {
        log_info("  %-10s %6.1f %6.1f %6.1f %6.1f %7.1f", "t->v (DSL)", e->dsl_t2v.r1,
                 e->dsl_t2v.r5, e->dsl_t2v.r10, e->dsl_t2v.mdr, e->dsl_t2v.mnr);
        log_info("  %-10s %6.1f %6.1f %6.1f %6.1f %7.1f", "v->t (DSL)", e->dsl_v2t.r1,
                 e->dsl_v2t.r5, e->dsl_v2t.r10, e->dsl_v2t.mdr, e->dsl_v2t.mnr);
    }
    if (e->have_qbnorm) {
        log_info("  %-10s %6.1f %6.1f %6.1f %6.1f %7.1f", "t->v (QB)", e->qb_t2v.r1, e->qb_t2v.r5,
                 e->qb_t2v.r10, e->qb_t2v.mdr, e->qb_t2v.mnr);
        log_info("  %-10s %6.1f %6.1f %6.1f %6.1f %7.1f", "v->t (QB)", e->qb_v2t.r1, e->qb_v2t.r5,
                 e->qb_v2t.r10, e->qb_v2t.mdr, e->qb_v2t.mnr);
    }
    RetrievalMetrics ch;
    metrics_chance(e->videos, &ch);
    log_info("  chance:    %6.1f %6.1f %6.1f %6.1f %7.1f", ch.r1, ch.r5, ch.r10, ch.mdr, ch.mnr);
    if (e->failed)
        log_info("  %lld pairs have a video that failed preprocessing (scored as padding)",
                 (long long)e->failed);
}

/* ---- training ---------------------------------------------------------------- */

/* The flat gradient buffer is averaged over the ranks. Every rank computes
 * the full gradient of post-gather tensors and its own slice's share of the
 * pre-gather tensors' gradient, so the average gives pre-gather tensors
 * 1/world of the single-process gradient of the global batch: the
 * reference's effective gradient for dp/ti/wti (spec §9). For xti the
 * reference's gather backward sums over ranks first, so every tensor gets
 * the single-process gradient: pre-gather tensors are multiplied by world.
 * grad_scale_mode "single" (a test knob) does that for every interaction. */
static void average_gradients(Run *r) {
    DrlModel *m = &r->model;
    comm_allreduce_mean_f32(r->comm, m->pt.grad, m->pt.total);
    const int single =
        r->cfg->train.grad_scale_mode == DRL_GRADSCALE_SINGLE || m->h.interaction == HEAD_XTI;
    if (!single || r->comm->world == 1) return;
    const float w = (float)r->comm->world;
    for (int i = 0; i < m->pt.count; i++)
        if (!drl_model_param_is_post_gather(m, i))
            m->ops->scale(params_at(&m->pt, m->pt.grad, i), w, m->pt.info[i].numel);
}

static int loss_is_finite(const DrlLosses *l) {
    return isfinite(l->loss) && isfinite(l->loss_sim) && isfinite(l->loss_cdcr);
}

/* output_dir/curves.png from metrics.jsonl (rank 0); a failure is a warning. */
static void write_curves(Run *r) {
    if (r->comm->rank != 0) return;
    char jsonl[DRL_CONFIG_PATH_MAX + 16], png[DRL_CONFIG_PATH_MAX + 16], err[512];
    snprintf(jsonl, sizeof jsonl, "%s/metrics.jsonl", r->dir);
    snprintf(png, sizeof png, "%s/curves.png", r->dir);
    if (access(jsonl, R_OK) != 0) return;
    if (curves_write_png(jsonl, png, err, sizeof err)) log_warn("training curves: %s", err);
}

/* metrics.jsonl belongs to one training history: a fresh run starts it anew;
 * a resumed run drops the lines logged after the checkpoint it resumes from
 * (they will be logged again). */
static void reset_metrics_log(Run *r, int64_t keep_until_step) {
    if (r->comm->rank != 0) return;
    char path[DRL_CONFIG_PATH_MAX + 16], tmp[DRL_CONFIG_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/metrics.jsonl", r->dir);
    if (keep_until_step < 0) {
        unlink(path);
        return;
    }
    FILE *in = fopen(path, "r");
    if (!in) return;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *out = fopen(tmp, "w");
    if (!out) {
        fclose(in);
        return;
    }
    char line[65536];
    while (fgets(line, sizeof line, in)) {
        cJSON *o = cJSON_Parse(line);
        const cJSON *st = o ? cJSON_GetObjectItemCaseSensitive(o, "step") : NULL;
        if (cJSON_IsNumber(st) && st->valuedouble <= (double)keep_until_step) fputs(line, out);
        cJSON_Delete(o);
    }
    fclose(in);
    fclose(out);
    rename(tmp, path);
}

static void save_last(Run *r) {
    if (r->comm->rank == 0)
        run_state_save(r->ckpt_last, &r->model, &r->opt, r->adam_m, r->adam_v, &r->prog,
                       r->config_text, 1);
    comm_barrier(r->comm);
}

/* Returns 0 to go on, or an exit status. */
static int train_epoch(Run *r, Loader *ld, int64_t epoch) {
    const DrlConfig *cfg = r->cfg;
    DrlModel *m = &r->model;
    const LoaderBatch *b;
    char err[1024];
    double t_data = 0.0, t_step = 0.0, t_mark = now_s();
    int64_t window = 0;
    double loss_window = 0.0;
    for (;;) {
        double t0 = now_s();
        int rc = loader_next(ld, &b, err, sizeof err);
        if (rc < 0) {
            log_error("reading a training batch: %s", err);
            return 1;
        }
        if (rc == 0) break;
        double t1 = now_s();
        DrlBatch db;
        batch_stage_upload(&r->stage, m, b, &db);
        DrlLosses l = drl_step(m, &db, 1);
        if (!loss_is_finite(&l)) {
            log_error("non-finite loss at step %lld (epoch %lld): loss %g, similarity loss %g, "
                      "CDCR loss %g",
                      (long long)r->prog.step, (long long)epoch + 1, l.loss, l.loss_sim,
                      l.loss_cdcr);
            if (cfg->train.on_nonfinite == DRL_NONFINITE_SKIP) {
                log_warn("on_nonfinite = \"skip\": the step is skipped");
                continue;
            }
            log_error("on_nonfinite = \"stop\": saving the last good state to %s and stopping",
                      r->ckpt_last);
            r->prog.batch = loader_get_position(ld).batch - 1;
            save_last(r);
            return 1;
        }
        average_gradients(r);
        run_backend_adam(&r->be, &r->opt, &m->pt, m->pt.data, m->pt.grad, r->adam_m, r->adam_v);
        r->prog.step++;
        LoaderPosition pos = loader_get_position(ld);
        r->prog.epoch = pos.epoch;
        r->prog.batch = pos.batch;
        double t2 = now_s();
        t_data += t1 - t0, t_step += t2 - t1;
        loss_window += l.loss;
        window++;
        const int64_t in_epoch = pos.batch;
        if (cfg->train.n_display > 0 &&
            (r->prog.step % cfg->train.n_display == 0 || in_epoch == r->steps_per_epoch)) {
            double per_step = (now_s() - t_mark) / (double)window;
            double eta = per_step * (double)(r->t_total - r->prog.step);
            float ls;
            m->ops->to_host(&ls, params_at(&m->pt, m->pt.data, m->clip.logit_scale), sizeof ls);
            r->samples_per_s = (double)cfg->train.batch_size / per_step;
            log_info("epoch %lld/%d step %lld/%lld (%lld/%lld) loss %.4f lr %.3g/%.3g "
                     "logit_scale %.3f step %.2fs data %.3fs %.1f samples/s ETA %02d:%02d:%02d "
                     "peak %.0f MiB",
                     (long long)epoch + 1, cfg->train.epochs, (long long)in_epoch,
                     (long long)r->steps_per_epoch, (long long)r->prog.step, (long long)r->t_total,
                     loss_window / (double)window, r->opt.last_lr_clip, r->opt.last_lr_head,
                     expf(ls), t_step / (double)window, t_data / (double)window, r->samples_per_s,
                     (int)(eta / 3600), (int)(eta / 60) % 60, (int)eta % 60, peak_rss_mib());
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "kind", "train");
            cJSON_AddNumberToObject(o, "epoch", (double)epoch + 1);
            cJSON_AddNumberToObject(o, "step", (double)r->prog.step);
            cJSON_AddNumberToObject(o, "loss", loss_window / (double)window);
            cJSON_AddNumberToObject(o, "lr", r->opt.last_lr_head);
            cJSON_AddNumberToObject(o, "lr_clip", r->opt.last_lr_clip);
            append_jsonl(r, o);
            cJSON_Delete(o);
            window = 0, loss_window = 0.0, t_data = t_step = 0.0, t_mark = now_s();
        }
        if (cfg->train.checkpoint_interval > 0 &&
            r->prog.step % cfg->train.checkpoint_interval == 0)
            save_last(r);
        /* a signal on any rank stops every rank after the same step */
        double stop = comm_allreduce_sum_f64(r->comm, (double)g_stop_signal);
        if (stop > 0) {
            log_info("signal received: checkpointing after step %lld and exiting for requeue (%d)",
                     (long long)r->prog.step, DRL_EXIT_REQUEUE);
            save_last(r);
            return DRL_EXIT_REQUEUE;
        }
    }
    return 0;
}

static int evaluate(Run *r, const char *split, const char *what, EvalResult *e) {
    char err[1024];
    if (run_evaluate(&r->model, &r->be, r->cfg, r->store, split, r->comm, e, err, sizeof err)) {
        log_error("evaluation on split '%s': %s", split, err);
        return 1;
    }
    if (r->comm->rank == 0) print_metrics(what, e);
    return 0;
}

static void write_result(Run *r, const EvalResult *e, int trained) {
    if (r->comm->rank != 0) return;
    const DrlConfig *cfg = r->cfg;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "config", cfg->run.name);
    cJSON_AddStringToObject(o, "description", cfg->run.description);
    cJSON_AddStringToObject(o, "backbone",
                            config_enum_name("model.base_encoder", cfg->model.base_encoder));
    cJSON_AddStringToObject(o, "dataset", config_enum_name("data.datatype", cfg->data.datatype));
    cJSON *dev = cJSON_CreateObject();
    cJSON_AddNumberToObject(dev, "count", r->comm->world);
    cJSON_AddStringToObject(dev, "kind", r->model.ops->name);
    cJSON_AddStringToObject(dev, "name", r->be.device_name);
    cJSON_AddItemToObject(o, "devices", dev);
    cJSON_AddNumberToObject(o, "ranks", r->comm->world);
    cJSON_AddNumberToObject(o, "train_hours", trained ? r->prog.train_seconds / 3600.0 : 0.0);
    cJSON_AddNumberToObject(o, "steps", (double)r->prog.step);
    cJSON_AddNumberToObject(o, "epochs", trained ? cfg->train.epochs : 0);
    cJSON_AddNumberToObject(o, "samples_per_second", r->samples_per_s);
    cJSON_AddNumberToObject(o, "best_epoch", (double)r->prog.best_epoch);
    cJSON_AddItemToObject(o, "metrics", both_json(&e->t2v, &e->v2t));
    if (e->have_dsl) cJSON_AddItemToObject(o, "metrics_dsl", both_json(&e->dsl_t2v, &e->dsl_v2t));
    if (e->have_qbnorm) {
        cJSON_AddItemToObject(o, "metrics_qbnorm", both_json(&e->qb_t2v, &e->qb_v2t));
        cJSON_AddNumberToObject(o, "qbnorm_bank", (double)e->qb_bank);
    }
    cJSON_AddNumberToObject(o, "test_pairs", (double)e->queries);
    cJSON_AddNumberToObject(o, "test_videos", (double)e->videos);
    cJSON_AddNumberToObject(o, "failed_videos", (double)e->failed);
    cJSON_AddBoolToObject(o, "multi_sentence", e->multi_sentence);
    time_t now = time(NULL);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    cJSON_AddStringToObject(o, "finished", stamp);
    char *text = cJSON_Print(o);
    char path[DRL_CONFIG_PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/result.json", r->dir);
    size_t len = strlen(text);
    char *withnl = mallocCheck(len + 2);
    memcpy(withnl, text, len);
    withnl[len] = '\n', withnl[len + 1] = '\0';
    if (write_file_atomic(path, withnl))
        log_error("cannot write %s: %s", path, strerror(errno));
    else
        log_info("wrote %s", path);
    free(withnl);
    free(text);
    cJSON_Delete(o);
}

int run_main(const DrlConfig *cfg, const char *config_path, const DrlComm *comm_in) {
    Run r;
    memset(&r, 0, sizeof r);
    DrlComm comm_copy = *comm_in, *comm = &comm_copy;
    r.cfg = cfg;
    r.comm = comm;
    log_init(&r.log, comm->rank, comm->world);
    install_signal_handlers();
    if (cfg->run.threads > 0) {
        /* OpenBLAS keeps the large products multi-threaded; the attention
         * code keeps its small ones on the calling thread */
        omp_set_num_threads(cfg->run.threads);
        openblas_set_num_threads(cfg->run.threads);
    }
    open_outputs(&r);
    log_info("drl_hpc %s: %s (%s), %d rank%s, run.device %s", DRL_VERSION, config_path,
             cfg->run.name, comm->world, comm->world > 1 ? "s" : "",
             config_enum_name("run.device", cfg->run.device));
    if (comm->rank == 0) {
        log_info("effective configuration:");
        log_info("%s", r.config_text);
    }
    int status = 0, trained = 0, have_model = 0, have_opt = 0, have_be = 0;
    Loader *ld = NULL;
    if (run_backend_select(&r.be, cfg, comm)) {
        status = 2;
        goto done;
    }
    have_be = 1;
    const DrlOps *ops = r.be.ops;
    char err[4096];
    StoreOpenOptions so = {.expect_resolution = cfg->data.resolution};
    r.store = store_open(cfg->data.store, &so, err, sizeof err);
    if (!r.store) {
        log_error("data.store: %s", err);
        status = 1;
        goto done;
    }
    const int local_train = cfg->train.batch_size / comm->world;
    const int local_eval = cfg->eval.batch_size_val / comm->world;
    int max_local = local_train > local_eval ? local_train : local_eval;
    const size_t before_model = run_backend_bytes_in_use(&r.be);
    if (model_setup(&r.model, cfg, ops, comm, max_local, err, sizeof err)) {
        log_error("%s", err);
        status = 1;
        goto done;
    }
    have_model = 1;
    run_backend_model_ready(&r.be, &r.model); /* the heads' workspace, the bf16 copy */
    const size_t model_bytes = run_backend_bytes_in_use(&r.be) - before_model - r.be.shadow_bytes;
    MemPlan plan;
    mem_plan_init(&plan, &r.be, &r.model, model_bytes);
    r.prog.best_r1 = -1.0;
    if (!cfg->train.do_train) mem_plan_log(&plan);
    if (cfg->train.do_train) {
        LoaderConfig lc = {.batch_size = local_train,
                           .max_words = cfg->data.max_words,
                           .max_frames = cfg->data.max_frames,
                           .seed = (uint64_t)cfg->train.seed,
                           .rank = comm->rank,
                           .world = comm->world,
                           .prefetch = 1};
        ld = loader_create(r.store, cfg->data.train_split, LOADER_TRAIN, &lc, err, sizeof err);
        if (!ld) {
            log_error("training split: %s", err);
            status = 1;
            goto done;
        }
        r.steps_per_epoch = loader_batches_per_epoch(ld);
        if (r.steps_per_epoch < 1) {
            log_error(
                "training split '%s' has %lld usable pairs: fewer than one global batch of %d",
                cfg->data.train_split, (long long)loader_num_pairs(ld), cfg->train.batch_size);
            status = 2;
            goto done;
        }
        r.t_total = r.steps_per_epoch * cfg->train.epochs;
        AdamSettings as = adam_settings_from_config(cfg, r.t_total);
        bertadam_init(&r.opt, &r.model.pt, &as);
        run_backend_moments(&r.be, &r.opt, &r.model.pt, &r.adam_m, &r.adam_v);
        have_opt = 1;
        batch_stage_init(&r.stage, &r.be, &r.model, local_train);
        plan.moments = 2 * sizeof(float) * r.model.pt.total;
        plan.staging = r.stage.bytes;
        for (int i = 0; i < r.model.pt.count; i++)
            r.opt.has_grad[i] = (uint8_t)drl_model_param_is_used(&r.model, i);
        log_info("training: %lld pairs (%lld skipped: failed videos), %lld steps per epoch, %lld "
                 "steps, global batch %d (%d per rank)",
                 (long long)loader_num_pairs(ld), (long long)loader_num_failed_pairs(ld),
                 (long long)r.steps_per_epoch, (long long)r.t_total, cfg->train.batch_size,
                 local_train);
        mem_plan_log(&plan);
        if (cfg->run.resume && access(r.ckpt_last, R_OK) == 0) {
            if (run_state_load(r.ckpt_last, &r.model, &r.opt, r.adam_m, r.adam_v, &r.prog, err,
                               sizeof err)) {
                log_error("resume: %s", err);
                status = 1;
                goto done;
            }
            run_backend_params_changed(&r.be, &r.model);
            log_info("resumed from %s at step %lld (epoch %lld, batch %lld)", r.ckpt_last,
                     (long long)r.prog.step, (long long)r.prog.epoch + 1, (long long)r.prog.batch);
            reset_metrics_log(&r, r.prog.step);
        } else {
            if (cfg->run.resume)
                log_info("resume: no checkpoint at %s, starting from the beginning", r.ckpt_last);
            reset_metrics_log(&r, -1);
        }
        loader_set_position(ld, (LoaderPosition){.epoch = r.prog.epoch, .batch = r.prog.batch});
        for (int64_t epoch = r.prog.epoch; epoch < cfg->train.epochs && status == 0; epoch++) {
            double t0 = now_s();
            status = train_epoch(&r, ld, epoch);
            r.prog.train_seconds += now_s() - t0;
            if (status) break;
            trained = 1;
            r.prog.epoch = epoch + 1;
            r.prog.batch = 0;
            EvalResult e;
            int do_val =
                cfg->data.val_split[0] && cfg->eval.eval_interval > 0 &&
                ((epoch + 1) % cfg->eval.eval_interval == 0 || epoch + 1 == cfg->train.epochs);
            if (do_val) {
                char what[DRL_CONFIG_NAME_MAX + 64];
                snprintf(what, sizeof what, "epoch %lld validation (%s)", (long long)epoch + 1,
                         cfg->data.val_split);
                if (evaluate(&r, cfg->data.val_split, what, &e)) {
                    status = 1;
                    break;
                }
                double r1 = e.t2v.r1;
                comm_bcast(comm, &r1, sizeof r1, 0);
                if (r1 > r.prog.best_r1) {
                    r.prog.best_r1 = r1;
                    r.prog.best_epoch = epoch + 1;
                    if (comm->rank == 0)
                        run_state_save(r.ckpt_best, &r.model, &r.opt, NULL, NULL, &r.prog,
                                       r.config_text, 0);
                    log_info("best text-to-video R@1 so far (%.1f): saved %s", r1, r.ckpt_best);
                }
                cJSON *o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "kind", "eval");
                cJSON_AddNumberToObject(o, "epoch", (double)epoch + 1);
                cJSON_AddNumberToObject(o, "step", (double)r.prog.step);
                cJSON_AddItemToObject(o, "metrics", both_json(&e.t2v, &e.v2t));
                append_jsonl(&r, o);
                cJSON_Delete(o);
            }
            save_last(&r);
            write_curves(&r);
        }
        loader_free(ld);
        ld = NULL;
        if (status == 0 && r.prog.best_epoch > 0) {
            if (run_state_load_params(r.ckpt_best, &r.model, err, sizeof err)) {
                log_error("loading the best checkpoint: %s", err);
                status = 1;
            } else {
                run_backend_params_changed(&r.be, &r.model);
                log_info("evaluating the best checkpoint (epoch %lld) on the test split",
                         (long long)r.prog.best_epoch);
            }
        }
    }
    if (status == 0 && (cfg->eval.do_eval || cfg->train.do_train)) {
        EvalResult e;
        if (evaluate(&r, cfg->data.test_split, "test", &e)) {
            status = 1;
        } else {
            write_result(&r, &e, trained);
        }
    }
done:
    if (ld) loader_free(ld);
    batch_stage_free(&r.stage);
    if (have_opt) {
        run_backend_free_moments(&r.be, &r.opt, r.adam_m, r.adam_v);
        bertadam_free(&r.opt);
    }
    if (have_model) drl_model_free(&r.model);
    if (have_be) run_backend_free(&r.be, comm);
    if (r.store) store_close(r.store);
    free(r.config_text);
    log_set_mirror(NULL);
    if (r.logfile) fclose(r.logfile);
    return status;
}
