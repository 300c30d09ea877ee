"""``cd benchmarks && python -m independent_registrations SEED moderate|heavy N OUTDIR``: write the files."""

from . import _main

_main()
