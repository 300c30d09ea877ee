"""The named steps of the log-linear front doors: options → read → table → search and fit → checks → interval.

:func:`darkfigure.estimation.estimate` is the sequence of these steps; the other front doors
call the steps they share instead of repeating them (``monitor`` reads through
:func:`~darkfigure.pipeline.reading.read_step`, ``estimate_strata`` searches each stratum
through :func:`~darkfigure.pipeline.search.select_model`).

=========================  ===========================================================================
module                     step
=========================  ===========================================================================
:mod:`.options`            check and normalise the options (``check_options``); the ``settings`` record
:mod:`.reading`            capture histories from a file, frame, dataset or link run (``read_step``)
:mod:`.table`              the complete table with structural zeros (``table_step``)
:mod:`.search`             the model search and fit, by EM with unknown covariate values (``search_step``)
:mod:`.checks`             warnings on the data and the fit, the model checks (``checks_step``)
:mod:`.interval`           N̂ by subgroup with its interval (``interval_step``)
:mod:`.extras`             linkage correction, partial pooling, the identifying assumption
:mod:`.result`             :class:`~darkfigure.pipeline.result.Estimate`, ``to_dict`` and ``write``
=========================  ===========================================================================

Import order: the front doors import these steps; the steps import the estimators
(:mod:`darkfigure.loglinear`, :mod:`darkfigure.diagnostics`, :mod:`darkfigure.structural`) and
the histories, never a front door (except lazily: ``Estimate.to_publish`` asks
:mod:`darkfigure.headline`, the identifying-assumption step :mod:`darkfigure.sensitivity`).
"""
