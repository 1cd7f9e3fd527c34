"""The README's embedding example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


class TestReadme:
    """Every Python block of the README executes without error (its asserts are the checks)."""

    def test_python_blocks_run(self) -> None:
        blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
        assert blocks, "the README has an embedding example"
        for block in blocks:
            exec(compile(block, str(README), "exec"), {})  # noqa: S102 - our own README
