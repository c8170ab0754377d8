"""Django's SQLite backend with write transactions queued in order (see base.py)."""
