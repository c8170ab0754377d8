"""The `kefu` console script: Django's management commands under one name.

`kefu import-scans FILE` runs the `import_scans` command: hyphens are accepted
in place of underscores. Every command honours DATABASE_URL (config/env.py).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kefu", *argv[1:]])


if __name__ == "__main__":
    main()
