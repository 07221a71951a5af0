"""Small shared value types every part of ascent may import: the error tree (``errors``) and
the shared vocabulary (``vocabulary``).

It imports nothing from the project, so crawler, signals, intent and storage can all depend on
it without depending on each other.
"""
