"""``python -m darkfigure.cli``: the ``darkfigure`` command."""

from . import main

main()
