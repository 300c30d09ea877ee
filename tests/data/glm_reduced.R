# Residual df, deviance and N-hat of extended-MLE log-linear fits, by R's glm on the reduced table.
#
# A model with a two-list term A:B for lists that share nobody has no MLE: the cells with
# A = B = 1 are fitted as 0 (extended MLE) and the A:B parameter goes to -inf. R's glm on the
# full table still counts those cells in its residual df; glm on the reduced table (those cells
# deleted, as SparseMSE does) gives the residual df of the extended MLE: cells not forced to 0
# minus the rank of the design on them (A:B is then aliased, NA). darkfigure's df_residual must
# equal the reduced-table df (issue 10); tests/test_df_extended.py compares them.
#
# Usage (from the repository root):  Rscript tests/data/glm_reduced.R > tests/data/glm_reduced.csv
# Input: the bundled tables in src/darkfigure/datasets/data (0/1 list columns and count).

data_dir <- file.path("src", "darkfigure", "datasets", "data")
models <- list(
  c("netherlands_2010_2015", "I:K + I:P + I:Z + K:O + K:P + K:R + K:Z + O:Z + P:Z + R:Z"),
  c("netherlands_2010_2015_5lists", "K:R + K:P + IO:Z + P:Z"),
  c("uk_2013", "LA:GP + LA:NCA + NG:PF + PF:GO"),
  c("western_us_2019", "A:B + A:E + B:E + C:D"),
  c("new_orleans_2016_5lists", "A:H + C:H + D:H + A:C")
)

complete_table <- function(d) {
  lists <- setdiff(names(d), "count")
  k <- length(lists)
  grid <- as.data.frame(as.matrix(expand.grid(rep(list(0:1), k))))
  names(grid) <- lists
  grid <- grid[rowSums(grid) > 0, , drop = FALSE]  # the observable cells
  key_g <- do.call(paste, grid[lists])
  agg <- aggregate(d$count, by = d[lists], FUN = sum)
  key_d <- do.call(paste, agg[lists])
  grid$count <- 0
  grid$count[match(key_d, key_g)] <- agg$x
  grid
}

rows <- list()
for (m in models) {
  d <- read.csv(file.path(data_dir, paste0(m[1], ".csv")))
  tab <- complete_table(d)
  lists <- setdiff(names(tab), "count")
  terms <- trimws(strsplit(m[2], "+", fixed = TRUE)[[1]])
  f <- as.formula(paste("count ~", paste(lists, collapse = " + "), "+", paste(terms, collapse = " + ")))
  full <- suppressWarnings(glm(f, family = poisson, data = tab))
  # cells of two-list terms whose lists share nobody: fitted as 0 by the extended MLE
  drop <- rep(FALSE, nrow(tab))
  for (t in terms) {
    v <- strsplit(t, ":", fixed = TRUE)[[1]]
    both <- apply(tab[v] == 1, 1, all)
    if (sum(tab$count[both]) == 0) drop <- drop | both
  }
  red <- glm(f, family = poisson, data = tab[!drop, ])
  n <- sum(tab$count)
  rows[[length(rows) + 1]] <- data.frame(
    dataset = m[1], model = m[2], observable_cells = nrow(tab), cells_fitted_zero = sum(drop),
    df_full_table = full$df.residual, rank_full_table = full$rank,
    deviance = sprintf("%.10g", deviance(red)), df_residual = red$df.residual, rank = red$rank,
    aliased = sum(is.na(coef(red))), observed = n, nhat = sprintf("%.10g", n + exp(coef(red)[["(Intercept)"]]))
  )
}
out <- do.call(rbind, rows)
cat(sprintf("# produced by %s with tests/data/glm_reduced.R (glm, family = poisson, on the reduced table)\n",
            R.version.string))
write.csv(out, stdout(), row.names = FALSE, quote = TRUE)
