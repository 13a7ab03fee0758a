#!/bin/bash
# Submits a sharded shortfall run to Slurm: M shard tasks, then the merge,
# which starts only once every task has succeeded.
#
#   examples/cluster/submit.sh scenarios/export_ban.toml 1000000 16 runs/ban
set -euo pipefail

scenario=${1:?usage: submit.sh SCENARIO TRIALS SHARDS RUN_DIR}
trials=${2:?usage: submit.sh SCENARIO TRIALS SHARDS RUN_DIR}
shards=${3:?usage: submit.sh SCENARIO TRIALS SHARDS RUN_DIR}
run_dir=${4:?usage: submit.sh SCENARIO TRIALS SHARDS RUN_DIR}
here=$(dirname "$0")

# Stale partials of an earlier run with another shard count would be merged
# too (and refused): start from an empty directory.
if compgen -G "$run_dir/shard-*.partial" > /dev/null; then
    echo "error: $run_dir already holds partials; use a fresh directory" >&2
    exit 1
fi
mkdir -p "$run_dir"

array=$(sbatch --parsable --array="1-$shards" "$here/shards.slurm" "$scenario" "$trials" "$run_dir")
merge=$(sbatch --parsable --dependency="afterok:${array%%;*}" "$here/merge.slurm" "$run_dir")
echo "shards: job $array (tasks 1-$shards); merge: job $merge -> $run_dir/report.json"
