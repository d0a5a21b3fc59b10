/* Builds the DRL model a configuration describes: CLIP's shape from the
 * init_model checkpoint, the pretrained CLIP .pt or the configuration (in that
 * order), the heads from the model section, and the weights from init_model
 * (our HDF5 checkpoint, an h5py weights file, or the reference
 * implementation's torch.save state dict), or from the CLIP .pt plus the §8
 * head initialisation, or from scratch. */
#ifndef DRL_TRAIN_MODEL_SETUP_H
#define DRL_TRAIN_MODEL_SETUP_H

#include "comm/comm.h"
#include "config/config.h"
#include "drl/drl_model.h"
#include "drl/optim.h"

/* Heads' settings from the configuration. */
DrlHeadsSpec heads_spec_from_config(const DrlConfig *cfg);
/* Optimiser settings from the configuration and the schedule length. */
AdamSettings adam_settings_from_config(const DrlConfig *cfg, int64_t t_total);

/* Registers, allocates (max_local pairs per rank) and initialises the model.
 * Returns 0, or -1 with a message naming the file and what is wrong. */
int model_setup(DrlModel *m, const DrlConfig *cfg, const DrlOps *ops, const DrlComm *comm,
                int max_local, char *err, size_t errlen);

#endif
