/* drl_hpc --step-dump: one batch from an HDF5 file, N optimiser steps, and the
 * tensors a port is checked with (README "Checking a port against PyTorch"). */
#ifndef DRL_TRAIN_STEP_DUMP_H
#define DRL_TRAIN_STEP_DUMP_H

#include "config/config.h"

/* Returns 0, 1 on a runtime error (message printed), 2 on bad input. */
int step_dump_run(const DrlConfig *cfg, const char *batch_path, long long steps,
                  long long total_steps, const char *out_path);

#endif
