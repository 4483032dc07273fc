"""章丘区校园食堂大宗食材追溯平台 — the chain-of-custody core.

Runs from the project checkout with the project root first on ``sys.path``;
``trace/guard.py`` explains why and fails fast otherwise.
"""
