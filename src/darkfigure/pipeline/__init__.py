"""The named steps of the estimation front doors (read → table → search → fit → interval → checks)."""
