/* batch --shard: which lines of a job file this runner takes, so that N
 * runners started by a scheduler (a Slurm job array, a Kubernetes Indexed
 * Job, HTCondor, GNU parallel over ssh) cover the file exactly once. */
#ifndef CORDON_RUNNER_SHARD_H
#define CORDON_RUNNER_SHARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHARD_COUNT_MAX 10000000u

typedef struct shard {
    uint64_t index, count;      /* 0 <= index < count; count 0: no sharding */
} shard;

/* Parses --shard SPEC:
 *   K/N        shard K of N (K from 0)
 *   env        a Slurm job array's task: K from SLURM_ARRAY_TASK_ID less
 *              SLURM_ARRAY_TASK_MIN (over SLURM_ARRAY_TASK_STEP), N from
 *              SLURM_ARRAY_TASK_COUNT
 *   env/N      K from the Slurm array as above, or from JOB_COMPLETION_INDEX
 *              (a Kubernetes Indexed Job); N given
 *   env:VAR/N  K from the variable VAR; N given
 * 0, or -1 after a message that names what is missing or wrong. */
int shard_parse(const char *spec, shard *out);

/* Whether the shard takes the job file's line `lineno` (from 1): line L
 * belongs to shard (L - 1) mod N, whatever lines are blank or comments,
 * so that the partition depends on the file alone. */
bool shard_takes(const shard *s, size_t lineno);

/* "K/N" */
void shard_format(const shard *s, char *buf, size_t size);

#endif
