#!/bin/sh
# A job file run by a Slurm job array: each array task runs its shard of
# the lines with cordon (confined, limited, accounted) and appends one
# audit line per task to a file of its own.  Submit the whole array again
# to finish what a lost or failed task left: --resume skips every line
# that already succeeded.  Then merge:
#
#   sbatch examples/slurm_array.sh                 # or --array=0-15 for 16 shards
#   cordon report --jobs jobs.txt audit/           # lines with no record, or several
#
# The array must be a range from any first index (0-3, 1-16, 0-30:2);
# cordon takes its shard from SLURM_ARRAY_TASK_ID, _MIN, _STEP and _COUNT.
# Resubmit the whole array, never one index of it (--array=2 is an array of
# one task: it would run every line).
#
#SBATCH --job-name=cordon-batch
#SBATCH --array=0-3
#SBATCH --cpus-per-task=1
#SBATCH --output=cordon-%A_%a.out
set -eu

: "${SLURM_ARRAY_TASK_ID:?submit this script with sbatch, as a job array}"
CORDON=${CORDON:-cordon}
JOBS=${JOBS:-jobs.txt}
AUDIT_DIR=${AUDIT_DIR:-audit}
mkdir -p "$AUDIT_DIR"

# One audit file per shard: appended to when the array is submitted again.
# The run id names the submission, so a report tells the runs apart.
exec "$CORDON" batch --shard env -j "${SLURM_CPUS_PER_TASK:-1}" \
    --run-id "slurm-${SLURM_ARRAY_JOB_ID:-0}" \
    --audit "$AUDIT_DIR/shard-$SLURM_ARRAY_TASK_ID.jsonl" \
    --resume "$AUDIT_DIR" \
    --timeout "${TASK_TIMEOUT:-10m}" \
    "$JOBS"
