"""``python -m p88`` runs the command line."""

from p88.cli.main import main

main()
