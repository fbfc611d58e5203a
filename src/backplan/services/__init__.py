"""Use cases: what the CLI, the web app and the Python API all call."""
