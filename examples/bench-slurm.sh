#!/bin/bash
# Spread one `bci bench` run over a Slurm job array, then merge the shards.
#
#   sbatch --array=1-8 examples/bench-slurm.sh          # 8 shards (any N works)
#   # when all array tasks are done:
#   bci bench merge results/shard-*-of-8 --out results/merged
#
# Each task runs the slice K/N of the same run (same arguments, same seed); shards are
# deterministic, so re-running a failed task reproduces exactly its part. `bci bench merge`
# refuses a missing, doubled or foreign shard. BCI_DATA must point at a copy of the datasets
# every node can read (fetch once with `bci datasets fetch eegmmidb --subjects 1-109`).
#SBATCH --job-name=bci-bench
#SBATCH --cpus-per-task=4
#SBATCH --mem=4G
#SBATCH --time=01:00:00
#SBATCH --output=logs/bci-bench-%A_%a.out
set -euo pipefail

N=${SLURM_ARRAY_TASK_COUNT:?submit with sbatch --array=1-N}
K=${SLURM_ARRAY_TASK_ID:?submit with sbatch --array=1-N}
OUT=${BENCH_OUT:-results}
export BCI_DATA=${BCI_DATA:-$HOME/bci-data}

mkdir -p "$OUT" logs
# The run itself; BENCH_ARGS replaces it (the local test of this script uses a small run).
DEFAULT_ARGS="--paradigm left-right-imagery --dataset eegmmidb --subjects 1-109 \
  --pipelines csp-lda,ts-lr,mdm --evaluation within-session --seed 42 --filter zero-phase"
# shellcheck disable=SC2086  # word splitting of the argument list is intended
bci bench ${BENCH_ARGS:-$DEFAULT_ARGS} \
  --threads "${SLURM_CPUS_PER_TASK:-1}" --quiet \
  --shard "$K/$N" --out "$OUT/shard-$K-of-$N"
