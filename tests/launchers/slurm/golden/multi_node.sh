#!/bin/bash

# Parameters
#SBATCH --array=0-9%4
#SBATCH --cpus-per-task=8
#SBATCH --error=/project/multirun/sweep/.slurm/%A_%a_0_log.err
#SBATCH --job-name=train
#SBATCH --mem=65536M
#SBATCH --nodes=4
#SBATCH --ntasks-per-node=2
#SBATCH --open-mode=append
#SBATCH --output=/project/multirun/sweep/.slurm/%A_%a_0_log.out
#SBATCH --signal=USR2@30
#SBATCH --time=12:00:00

# setup
source /project/.venv/bin/activate

# command
export SUBMITIT_EXECUTOR=slurm
srun --unbuffered --output /project/multirun/sweep/.slurm/%A_%a_%t_log.out --error /project/multirun/sweep/.slurm/%A_%a_%t_log.err /project/.venv/bin/python -u -m submitit.core._submit /project/multirun/sweep/.slurm
