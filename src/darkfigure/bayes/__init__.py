"""Bayesian estimators of the population size: latent classes (LCMCR) and decomposable-graph averaging (dga)."""
