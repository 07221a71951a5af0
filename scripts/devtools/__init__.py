"""Developer tools: benchmarks, evaluations on real text, fuzzing, soak runs and the head fit.

They run from a checkout (``python -m scripts.devtools.<tool>``) and are not installed by
``pip install .``: a partner's ascent carries the app only.
"""
