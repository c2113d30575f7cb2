"""``python -m dvclean``."""

from dvclean.cli import main

main()
