"""``python -m educonnect_cli``."""

from educonnect_cli.main import main

main()
