"""Entry script for the frozen (PyInstaller) app: the same as the `lstmwriter`
command."""

import sys

from lstmwriter.cli import main

if __name__ == "__main__":
    sys.exit(main())
