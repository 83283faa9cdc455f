"""`python -m bot` is the same as the `silkroute` command."""

import sys

from bot.frontends.cli import main

sys.exit(main())
