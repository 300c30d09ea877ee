"""What each method of ``darkfigure compare`` assumes, in plain words, and which families it belongs to
(moved out of :mod:`darkfigure.headline`, which re-exports them, to keep that file within 600 lines)."""

_LOGLINEAR = ("loglinear-model", "loglinear-bic", "loglinear-aic", "loglinear-pvalue", "bic-exhaustive", "downhill")


#: the assumption each method makes, in plain words (what an analyst would defend)
ASSUMPTIONS: dict[str, str] = {
    "loglinear-model": "list dependence as in the given log-linear model; no highest-order interaction; persons "
    "equally catchable within a covariate stratum",
    "loglinear-bic": "list dependence modelled (log-linear, pairwise terms chosen by BIC); no highest-order "
    "interaction; no heterogeneity beyond the covariates",
    "loglinear-aic": "list dependence modelled (log-linear, terms chosen by AIC); no highest-order interaction; "
    "no heterogeneity beyond the covariates",
    "loglinear-pvalue": "list dependence modelled (log-linear, terms added while significant); no highest-order "
    "interaction; no heterogeneity beyond the covariates",
    "M0": "independent lists that all catch every person with the same probability",
    "Mt": "independent lists, each with its own capture probability; every person equally catchable",
    "Mh-chao": "individual heterogeneity of catchability (Chao's lower bound), lists otherwise alike",
    "Mh-poisson2": "individual heterogeneity (Poisson form), lists otherwise alike",
    "Mh-darroch": "individual heterogeneity (Darroch's normal form), lists otherwise alike",
    "Mh-gamma3.5": "individual heterogeneity (gamma form), lists otherwise alike",
    "Mth-chao": "individual heterogeneity (Chao's lower bound) and lists that differ; no other list dependence",
    "Mth-poisson2": "individual heterogeneity (Poisson form) and lists that differ; no other list dependence",
    "Mth-darroch": "individual heterogeneity (Darroch's normal form) and lists that differ; no other list dependence",
    "Mth-gamma3.5": "individual heterogeneity (gamma form) and lists that differ; no other list dependence",
    "bic-exhaustive": "list dependence modelled (log-linear, best by BIC among all hierarchical models, model "
    "choice repeated in the bootstrap); no highest-order interaction",
    "downhill": "list dependence modelled (log-linear, greedy BIC search repeated in the bootstrap); no "
    "highest-order interaction",
    "lcmcr": "latent classes: persons fall in unobserved classes with their own capture probabilities; lists "
    "independent within a class (Bayesian)",
    "dga": "Bayesian model averaging over decomposable graphs of list dependence; no highest-order interaction",
}

#: methods whose model has no individual heterogeneity of catchability (Chao's bound can contradict them)
HOMOGENEOUS = (*_LOGLINEAR, "M0", "Mt", "dga")
#: methods whose barely identified interval means the table itself sets no upper limit to N: the log-linear
#: family (M0 and Mt are log-linear models), Chao's lower bounds (N lies above the bound) and dga's average of
#: log-linear graphs. Not the heterogeneity mixtures (Mh/Mth Poisson, Darroch, gamma) or latent classes: their N is
#: not identified by construction, the width follows from the mixing form chosen (Link 2003), not from the data.
OPENS_UPPER = (*_LOGLINEAR, "M0", "Mt", "Mh-chao", "Mth-chao", "dga")
