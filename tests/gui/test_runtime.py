"""The app's runtime settings: the cycle collector must not stall the window."""

from __future__ import annotations

import gc
import sys

from lstmwriter.gui.app import settle_runtime


def test_settle_runtime_freezes_startup_objects_and_imports_training_modules():
    try:
        thread = settle_runtime()
        thread.join(timeout=120)
        assert not thread.is_alive()
        # What torch.optim imports on its first use is already there, and the
        # objects made so far are out of the collector's sight.
        assert "torch._dynamo" in sys.modules
        assert gc.get_freeze_count() > 10_000
        assert gc.isenabled()
    finally:
        gc.unfreeze()  # the rest of the suite collects as usual
