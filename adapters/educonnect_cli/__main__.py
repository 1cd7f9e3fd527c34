"""``python -m educonnect_cli``."""

from educonnect_cli import main

main()
