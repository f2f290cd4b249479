#!/bin/bash

# Parameters
#SBATCH --account=lab-42
#SBATCH --array=0-9%4
#SBATCH --cpus-per-task=1
#SBATCH --error=/project/multirun/sweep/.slurm/%A_%a_0_log.err
#SBATCH --exclusive
#SBATCH --job-name=train
#SBATCH --mail-type=END
#SBATCH --nodes=1
#SBATCH --open-mode=append
#SBATCH --output=/project/multirun/sweep/.slurm/%A_%a_0_log.out
#SBATCH --partition=cpu,long
#SBATCH --qos=high
#SBATCH --signal=USR2@30

# setup
source /project/.venv/bin/activate

# command
export SUBMITIT_EXECUTOR=slurm
srun --unbuffered --output /project/multirun/sweep/.slurm/%A_%a_%t_log.out --error /project/multirun/sweep/.slurm/%A_%a_%t_log.err /project/.venv/bin/python -u -m submitit.core._submit /project/multirun/sweep/.slurm
