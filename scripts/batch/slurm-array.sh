#!/bin/bash
# One shard of `glassbox batch` per Slurm array task (docs/batch.md). Submit with
#
#   sbatch --array=0-3 scripts/batch/slurm-array.sh [command options…]
#
# and, when every task has ended, merge (afterany: a task whose inputs partly failed exits 1):
#
#   sbatch --dependency=afterany:JOBID --wrap \
#     'glassbox merge results/part-*.jsonl --out results/all.jsonl --in inputs.jsonl'
#
# A requeued or rerun task continues its own file (--resume), so preemption costs at most the
# inputs that were in flight. Settings come from the environment (defaults below).
#SBATCH --job-name=glassbox-batch
#SBATCH --cpus-per-task=8
#SBATCH --mem=16G
#SBATCH --time=04:00:00
#SBATCH --requeue
#SBATCH --output=glassbox-batch-%A_%a.log
set -euo pipefail
GLASSBOX=${GLASSBOX:-glassbox}
MODEL=${MODEL:-shakespeare-gpt2}
INPUTS=${INPUTS:-inputs.jsonl}
RESULTS=${RESULTS:-results}
COMMAND=${COMMAND:-explain}
I=${SLURM_ARRAY_TASK_ID:?submit with sbatch --array=0-(N-1)}
N=${SLURM_ARRAY_TASK_COUNT:?submit with sbatch --array=0-(N-1)}
mkdir -p "$RESULTS"
exec "$GLASSBOX" batch --model "$MODEL" --threads "${SLURM_CPUS_PER_TASK:-2}" --command "$COMMAND" \
    --in "$INPUTS" --out "$RESULTS/part-$I.jsonl" --shard "$I/$N" --resume "$@"
