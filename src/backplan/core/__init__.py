"""The domain math: pure functions and dataclasses, no I/O and no frameworks."""
