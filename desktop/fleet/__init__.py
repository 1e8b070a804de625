"""Fleet: one environment planned, built and proven across a Slurm cluster's GPU node classes. Qt-free.

inventory.py  read node classes from Slurm (pure parsers over `sinfo` output) and name their GPUs
plan.py       one plan that runs on every class (each GPU covered, the oldest driver), or the blocking class
jobs.py       run tasks on the cluster through submitit (or its local executor), cancel them, collect results
verify.py     the smoke test on every class: the class x verdict table (from submitit, or from sbatch results)
sbatch.py     the equivalent sbatch scripts, for clusters where submitit is not installed
task.py       what runs on a node: the smoke test with the env's own Python, or `torchdesk detect --json`
"""
