#!/bin/bash

# Parameters
#SBATCH --array=0-9%4
#SBATCH --constraint=a100
#SBATCH --cpus-per-task=6
#SBATCH --error=/project/multirun/sweep/.slurm/%A_%a_0_log.err
#SBATCH --gpus-per-node=2
#SBATCH --gres=gpu:a100:2
#SBATCH --job-name=train
#SBATCH --nodes=1
#SBATCH --open-mode=append
#SBATCH --output=/project/multirun/sweep/.slurm/%A_%a_0_log.out
#SBATCH --partition=gpu
#SBATCH --signal=USR2@30
#SBATCH --time=90

# setup
source /project/.venv/bin/activate
export NCCL_DEBUG=INFO

# command
export SUBMITIT_EXECUTOR=slurm
srun --unbuffered --output /project/multirun/sweep/.slurm/%A_%a_%t_log.out --error /project/multirun/sweep/.slurm/%A_%a_%t_log.err /project/.venv/bin/python -u -m submitit.core._submit /project/multirun/sweep/.slurm
