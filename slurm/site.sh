# Site settings for the batch scripts: the ONE place to adapt them to a cluster.
# Sourced by every script in slurm/. Each value may also be set in the
# environment (`DRL_PARTITION=gpu sbatch ...` or exported before
# slurm/submit_all.sh); the environment wins over the defaults below.

# Partition (-p) and account (-A) for every job; empty = the cluster's default.
# submit_all.sh passes them to sbatch; for a plain `sbatch slurm/X.sh` export
# SBATCH_PARTITION / SBATCH_ACCOUNT (sbatch reads those) or pass -p / -A.
: "${DRL_PARTITION:=}"
: "${DRL_ACCOUNT:=}"

# Environment modules loaded at the start of every job, space separated,
# e.g. "gcc/12 openmpi/4.1 hdf5/1.14-openmpi cuda/12.4"; empty = none (Debian).
: "${DRL_MODULES:=}"

# How the ranks are started inside a job:
#   srun   - Slurm starts them; DRL_SRUN_MPI is srun's --mpi= (pmix, pmi2, ...;
#            empty = the cluster's MpiDefault)
#   mpirun - Open MPI's mpirun inside the allocation (DRL_MPIRUN_ARGS added)
#   none   - one process, no launcher (a single-task job, tests)
: "${DRL_LAUNCHER:=srun}"
: "${DRL_SRUN_MPI:=}"
: "${DRL_SRUN_ARGS:=}"
: "${DRL_MPIRUN_ARGS:=}"

# Shape of a training job: nodes, GPUs per node (= ranks per node, one GPU
# each), CPU cores per rank (loader threads + OpenMP), wall-clock limit.
: "${DRL_NODES:=1}"
: "${DRL_GPUS_PER_NODE:=4}"
: "${DRL_CPUS_PER_TASK:=8}"
: "${DRL_TIME:=24:00:00}"

# Preprocessing job: ranks (they share the videos) and limit.
: "${DRL_PREPROCESS_TASKS:=8}"
: "${DRL_PREPROCESS_TIME:=12:00:00}"

# Where the programs are (the CMake build folder of this checkout).
: "${DRL_BUILD_DIR:=build}"
: "${DRL_HPC_CMD:=$DRL_BUILD_DIR/src/app/drl_hpc}"            # may be a stand-in (tests)
: "${DRL_PREPROCESS_CMD:=$DRL_BUILD_DIR/preprocess/drl_preprocess}"
: "${DRL_TABLE_CMD:=$DRL_BUILD_DIR/src/table/drl_table}"

# Requeue after a checkpoint-and-exit (drl_hpc status 99) at most this often.
: "${DRL_MAX_REQUEUES:=50}"

export DRL_PARTITION DRL_ACCOUNT DRL_MODULES DRL_LAUNCHER DRL_SRUN_MPI DRL_SRUN_ARGS \
  DRL_MPIRUN_ARGS DRL_NODES DRL_GPUS_PER_NODE DRL_CPUS_PER_TASK DRL_TIME \
  DRL_PREPROCESS_TASKS DRL_PREPROCESS_TIME DRL_BUILD_DIR DRL_HPC_CMD DRL_PREPROCESS_CMD \
  DRL_TABLE_CMD DRL_MAX_REQUEUES
