"""`python -m lstmwriter` is the same as the `lstmwriter` command."""

from lstmwriter.cli import main

raise SystemExit(main())
