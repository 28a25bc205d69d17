"""The engine: what turns a config into a cached, reproducible run.

``config`` (RunConfig and the paper/quick profiles), ``train`` (one train/evaluate loop for every
model x task), ``cache`` (the content-addressed run cache in data/runs), ``files`` (atomic writes),
``sweep`` (grids, tuning, the CPU-hours plan), ``bench`` (step times), ``paths``.
"""
