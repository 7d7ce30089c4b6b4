"""`python -m bot` is the `warroom` command."""

from bot.cli import main

raise SystemExit(main())
