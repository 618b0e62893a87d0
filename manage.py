#!/usr/bin/env python
"""Django's command-line utility for the Truss project."""

import os
import sys
from pathlib import Path


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "truss.settings")
    from django.core.management import execute_from_command_line

    from truss.embedded import ensure_target

    ensure_target(Path(__file__).resolve().parent)
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
