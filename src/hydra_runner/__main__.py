from hydra_runner.cli import main

main()
