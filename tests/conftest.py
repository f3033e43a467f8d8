"""Suite-wide settings, applied before any test module imports dse."""

from __future__ import annotations

import os

# Rich fixes a console's width when the console is made, and dse.console makes its consoles at
# import. Make them here, 200 columns wide, so that table cells are never cut to fit a narrower
# terminal and output assertions do not depend on which test (and which COLUMNS) imported it first.
os.environ["COLUMNS"] = "200"
import dse.console  # noqa: E402,F401
