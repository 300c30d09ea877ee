"""The SQL engines of record linkage: Splink's DuckDB or Spark back end for :func:`darkfigure.linkage.link.link`.

Its own module so that :mod:`darkfigure.linkage.link` keeps to the linkage itself; the names are still
importable from there.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pandas as pd

__all__ = ["spark_session"]


# ---------------------------------------------------------------------------- engines
def spark_session(*, memory: str = "2g", cores: int = 2, partitions: int = 4):
    """A local SparkSession sized for a small machine, with Splink's similarity functions.

    An existing session is reused (``getOrCreate``); Splink's jar of string-similarity
    functions (Jaro–Winkler, Damerau–Levenshtein) is put on its class path.

    Parameters
    ----------
    memory : driver memory (local mode runs everything in the driver), e.g. ``"1g"``.
    cores : worker threads (``local[cores]``).
    partitions : shuffle partitions (Spark's default of 200 is far too many locally).

    Raises
    ------
    RuntimeError
        No Java runtime (Spark needs Java 17 or later) or PySpark not installed.
    """
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise RuntimeError("the Spark engine needs a Java runtime (17 or later): `java` was not found")
    try:
        from pyspark.sql import SparkSession
        from splink.backends.spark import similarity_jar_location
    except ImportError as e:  # pragma: no cover - pyspark is an optional dependency
        raise RuntimeError("the Spark engine needs PySpark: pip install 'darkfigure[spark]'") from e
    # Python workers (darkfigure strata's tasks) must run this interpreter, where darkfigure is
    # installed, not the first python3 on PATH; set before the session (and its workers) exists
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("darkfigure-link")
        .config("spark.driver.memory", memory)
        .config("spark.sql.shuffle.partitions", str(partitions))
        .config("spark.default.parallelism", str(partitions))
        .config("spark.jars", similarity_jar_location())
        .config("spark.ui.enabled", "false")
        .config("spark.sql.ansi.enabled", "false")
        .getOrCreate()
    )


def _db_api(engine: str, spark, threads: int | None, memory_limit: str | None, workdir: Path):
    """Splink's database API for `engine` ("duckdb" or "spark"), with temporary files under `workdir`."""
    if engine == "duckdb":
        import duckdb
        from splink import DuckDBAPI

        con = duckdb.connect()
        con.execute(f"SET threads = {int(threads or os.cpu_count() or 1)}")
        if memory_limit:
            con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute(f"SET temp_directory = '{workdir / 'duckdb'}'")
        con.execute("SET preserve_insertion_order = false")
        return DuckDBAPI(connection=con)
    from splink import SparkAPI

    spark = spark if spark is not None else spark_session(cores=int(threads or 2))
    # intermediate tables are written to parquet and read back: this cuts Spark's query lineage, which
    # otherwise grows with every clustering iteration until planning runs out of memory
    spark.sparkContext.setCheckpointDir(str(workdir / "spark"))
    return SparkAPI(spark_session=spark, break_lineage_method="parquet", num_partitions_on_repartition=2)


def _register(db_api, engine: str, frame: pd.DataFrame, workdir: Path, name: str):
    """Register `frame` as a table of `db_api` under a name unique to this call; returns Splink's table."""
    # unique names: a Spark session outlives one call of link()
    table = f"darkfigure_{name}_{workdir.name.rsplit('-', 1)[-1]}"
    if engine == "duckdb":
        return db_api.register(frame, table_name=table)
    # a file-backed table, not a local relation that the planner copies into every query
    path = workdir / f"{name}.parquet"
    frame.to_parquet(path, index=False)
    return db_api.register(db_api.spark.read.parquet(str(path)), table_name=table)
