#!/bin/bash
# slurm_requeue: slurm/msrvtt_wti.sh's checkpoint-and-requeue mechanics on a
# real Slurm. The step is a stand-in for drl_hpc (DRL_HPC_CMD) that behaves as
# drl_hpc does on Slurm's pre-timeout warning: it traps USR1, "checkpoints" and
# exits 99. The test sends the warning exactly as --signal=B:USR1@300 does (to
# the batch shell only: scancel --batch --signal=USR1), and checks that the
# script forwarded it through srun to the step, requeued the job, and that the
# second start ran a generated configuration with run.resume = true (checked
# with the real `drl_hpc --print-config`), which completed.
# usage: test_requeue.sh DRL_HPC_BINARY
set -euo pipefail
hpc=$(realpath "$1")
src=${DRL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$(dirname "$0")/cluster.sh"
cluster_up
fail() { echo "FAIL: $*" >&2; exit 1; }

work=$CLUSTER/work
mkdir -p "$work"
cat >"$work/run.cfg" <<CFG
@include "$src/conf/demo.cfg"
train = { epochs = 1; };
run = { output_dir = "$work/out"; };
CFG
cat >"$work/stand_in.sh" <<STAND
#!/bin/bash
# stand-in for drl_hpc: on USR1 write a "checkpoint" and exit 99 (requeue me)
conf=\$1
echo "start restart=\${SLURM_RESTART_COUNT:-0} conf=\$conf" >>"$work/events"
resume=\$("$hpc" --print-config "\$conf" | sed -n 's/^ *resume = \(.*\);/\1/p')
echo "resume=\$resume" >>"$work/events"
if [ "\$resume" = true ]; then
  echo "resumed from \$(cat "$work/ckpt")" >>"$work/events"
  exit 0
fi
trap 'echo step7 >"$work/ckpt"; echo "USR1 -> checkpoint, exit 99" >>"$work/events"; exit 99' USR1
echo running >>"$work/events"
for _ in \$(seq 600); do sleep 0.2; done
echo "no signal" >>"$work/events"
exit 1
STAND
chmod +x "$work/stand_in.sh"

export DRL_ROOT=$src DRL_BUILD_DIR=$DRL_BINARY_DIR DRL_HPC_CMD=$work/stand_in.sh
export DRL_LAUNCHER=srun DRL_RESUME_DIR=$work/resume
id=$(cluster_submit --nodes=1 --ntasks-per-node=1 --cpus-per-task=1 --time=10 \
  -o "$work/job.out" "$src/slurm/msrvtt_wti.sh" "$work/run.cfg")
for _ in $(seq 120); do
  grep -q '^running' "$work/events" 2>/dev/null && break
  sleep 0.5
done
grep -q '^running' "$work/events" 2>/dev/null || fail "the stand-in did not start: $(cat "$work/job.out" 2>/dev/null)"
scancel --batch --signal=USR1 "$id"
# The job is requeued (Restarts=1) and runs again to completion.
t0=$SECONDS
while [ $((SECONDS - t0)) -lt 120 ]; do
  [ "$(cluster_job_field "$id" Restarts)" = 1 ] && [ "$(cluster_job_field "$id" JobState)" = COMPLETED ] && break
  sleep 0.5
done
echo "--- job output" >&2; cat "$work/job.out" >&2
echo "--- stand-in events" >&2; cat "$work/events" >&2
[ "$(cluster_job_field "$id" JobState)" = COMPLETED ] || fail "job $id is $(cluster_job_field "$id" JobState), expected COMPLETED after the requeue"
[ "$(cluster_job_field "$id" Restarts)" = 1 ] || fail "Restarts=$(cluster_job_field "$id" Restarts), expected 1"
grep -q 'USR1: forwarding to the step' "$work/job.out" || fail "the batch script did not forward USR1"
grep -q 'USR1 -> checkpoint, exit 99' "$work/events" || fail "the step did not receive USR1"
grep -q "checkpointed: requeueing job $id" "$work/job.out" || fail "the script did not requeue on status 99"
grep -qx "start restart=0 conf=$work/run.cfg" "$work/events" || fail "first start did not run the given config"
grep -qx "start restart=1 conf=$work/resume/$id/run.cfg" "$work/events" || fail "restart did not run the generated resume config"
[ "$(grep -c '^resume=' "$work/events")" = 2 ] || fail "expected two starts"
sed -n 1,2p "$work/events" | grep -qx 'resume=false' || fail "first start must not resume"
grep -qx 'resume=true' "$work/events" || fail "restart must set run.resume = true"
grep -qx 'resumed from step7' "$work/events" || fail "restart did not see the checkpoint"
grep -q "@include \"$work/run.cfg\"" "$work/resume/$id/run.cfg" || fail "resume config does not include the original"
echo "PASS: signal forwarded, status 99 requeued, resumed with run.resume = true ($SECONDS s)"
