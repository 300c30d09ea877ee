"""Review s18: the dark figure's interval holds N̂ corrected's own dark figure; θ̂ stays below every u_O."""

import numpy as np

from darkfigure.dark_floor import dark_interval
from darkfigure.linkage.undated_trait import draw_thetas, trait_rho


def test_dark_interval_of_a_shifted_row_holds_the_points_dark_figure():
    # rule "bias": N̂ corrected 850 = 2 x 1000 - 1150 with persons 620 (dark 230), the draws above N̂ as linked
    lo, hi = dark_interval(850, 1220, 620, (900, 1100, 1000, 600), (1080, 1220, 1150, False, True), point=850)
    assert lo <= 230 <= hi
    lo0, _ = dark_interval(850, 1220, 620, (900, 1100, 1000, 600), (1080, 1220, 1150, False, True))
    assert lo0 > 230  # without the point the union left it out


def test_drawn_theta_never_reaches_an_organisations_undated_share():
    est = {"applied": True, "theta": 0.6, "se": 0.3, "u": {"a": 0.65, "b": 0.95}}
    th = draw_thetas(est, 2000, np.random.default_rng(1))
    assert th.min() >= 0 and th.max() <= 0.64 + 1e-12
    rho = trait_rho(est, float(th.max()))
    assert all(np.isfinite(v) and 0 <= v <= 1 for v in rho.values())
