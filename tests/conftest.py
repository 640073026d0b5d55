"""Test-suite defaults."""

from __future__ import annotations

import os

# ``gradspec check`` forks candidate workers from a warm server that outlives the command; the
# many commands of the suite (each with its own cache folder, so its own server) would leave
# dozens behind.  The tests of the warm path switch it on themselves and stop their server.
os.environ.setdefault("GRADSPEC_WARM_WORKER", "off")
