"""`python -m tasker`."""

from tasker.cli.main import main

raise SystemExit(main())
