/* `drl_hpc CONF.cfg`: the run (DESIGN.md "Outputs of a run", issue 6).
 * Per epoch: train on the training split, evaluate on the validation split,
 * save the full state (ckpt/last.h5) and the best parameters by
 * text-to-video R@1 (ckpt/best.h5); at the end evaluate the best parameters on
 * the test split and write result.json. Evaluation-only runs (do_train false)
 * evaluate the initial model. SIGTERM / SIGUSR1 finish the current step,
 * checkpoint and exit with DRL_EXIT_REQUEUE. */
#ifndef DRL_TRAIN_RUN_H
#define DRL_TRAIN_RUN_H

#include "comm/comm.h"
#include "config/config.h"

#define DRL_EXIT_REQUEUE 99 /* checkpointed on a signal: requeue the job */

/* MPI must be initialised; returns the process exit status. */
int run_main(const DrlConfig *cfg, const char *config_path, const DrlComm *comm);

#endif
