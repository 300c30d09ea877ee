"""Options that would be ignored are refused: --max-order beyond the lists, --seed with --ci none (tester 12b, L4)."""
import pandas as pd

T3 = pd.DataFrame({"A": [1, 0, 0, 1, 1, 0, 1], "B": [0, 1, 0, 1, 0, 1, 1], "C": [0, 0, 1, 0, 1, 1, 1],
                   "count": [50, 40, 30, 5, 4, 3, 1]})
T2 = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [50, 40, 10]})


def test_max_order_beyond_the_lists_and_seed_without_bootstrap_are_refused(tmp_path, cli):
    two, three = tmp_path / "two.csv", tmp_path / "three.csv"
    T2.to_csv(two, index=False)
    T3.to_csv(three, index=False)
    cli(["estimate", two, "--max-order", "3"], code=2,
        says=["--max-order 3 would be ignored: with 2 lists no interaction can be searched"])
    cli(["estimate", three, "--max-order", "4", "--ci", "none"], code=2,
        says=["--max-order 4 would be ignored: with 3 lists interactions go up to 2 lists"])
    cli(["estimate", three, "--seed", "1", "--ci", "none"], code=2,
        says=["--seed 1 would be ignored: --ci none draws no bootstrap"])
    # what is used stays accepted
    cli(["estimate", three, "--ci", "none"], code=0)
    cli(["estimate", three, "--seed", "1", "--ci", "parametric", "--reps", "20", "--search", "none"], code=0)
