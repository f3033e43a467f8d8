"""The tabular benchmark of the dse design space (issue 17; docs/tabular-benchmark.md).

``table``: the table (CSV + JSON under benchmarks/data/), its grid, lookup and true front;
``export``: a filled study database -> the table; ``replay``: a sampler run against the table on
simulated time. ``benchmarks/tabular_efficiency.py`` is the command line.
"""
