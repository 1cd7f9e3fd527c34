"""`educonnect --help` starts fast because it imports nothing heavy (issue 14 item 4)."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
from educonnect_cli.main import main
sys.argv = ["educonnect", "--help"]
try:
    main()
except SystemExit:
    pass
heavy = ("rich", "sqlalchemy", "alembic", "reportlab", "educonnect_core", "educonnect_sql",
         "educonnect_pdf", "educonnect_aaf", "educonnect_mail", "argon2", "psycopg")
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & set(heavy))), file=sys.stderr)
"""


class TestStartup:
    """The help page loads typer and the command modules only: no storage, PDF, rich or core."""

    def test_help_imports_nothing_heavy(self) -> None:
        done = subprocess.run(  # noqa: S603 - our own interpreter and probe
            [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
        )
        assert "Utilisation : educonnect" in done.stdout
        assert json.loads(done.stderr.strip().splitlines()[-1]) == []
