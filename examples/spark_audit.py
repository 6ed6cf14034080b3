# Databricks notebook source
# An audit of logged tokens with entra-doctor on Spark.
#
# Months of gateway or application logs hold the bearer tokens that were
# presented: which were expired when used, for the wrong tenant, for the
# wrong API, forged? This notebook checks every one with the entra-doctor
# engine (the same rules as `entra-doctor check`), on the cluster, as of
# the moment each was logged.
#
# On Azure Databricks: `%pip install entra-doctor` in the first cell (or a
# cluster library). Locally: `pip install ./crates/entra-doctor-py pyspark`
# then `python examples/spark_audit.py` (it makes a small table itself).

# COMMAND ----------

import json
import sys
from pathlib import Path

from pyspark.sql import SparkSession, functions as F

import entra_doctor
from entra_doctor.spark import check_tokens, verdict_udf

spark = SparkSession.builder.master("local[2]").getOrCreate() if "spark" not in globals() else spark  # noqa: F821

TENANT = "8f3c1d2e-5b7a-4c19-9e2d-6a1b3c4d5e6f"  # the workspace's tenant
HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path("examples")

# The signing keys: Entra's published keys for your tenant, saved once from
# https://login.microsoftonline.com/<tenant>/discovery/v2.0/keys (the audit
# never fetches anything itself, and a token never chooses its keys).
jwks = json.loads((HERE / "jwks.json").read_text())

# COMMAND ----------

# The table of logged tokens. On Databricks: spark.table("main.security.gateway_log")
# with a token column and the time of the request. Here: the bundled examples.
table = sys.argv[1] if len(sys.argv) > 1 else None
if table:
    logs = spark.table(table)
else:
    lines = [l for l in (HERE / "tokens.txt").read_text().splitlines() if l.strip()]
    logs = spark.createDataFrame(
        [(i, t, "2026-06-01T12:00:00Z") for i, t in enumerate(lines)],
        "request_id long, token string, logged_at string",
    ).withColumn("logged_at", F.to_timestamp("logged_at"))

# COMMAND ----------

# Every token, checked as of when it was logged: whole Arrow batches go into
# the engine (all cores of each executor), the keys are broadcast once.
audited = check_tokens(logs, "token", jwks=jwks, tenant=TENANT, at_column="logged_at")

# What failed, and how often.
audited.groupBy(F.concat_ws(",", "failed").alias("failed")).count().orderBy(F.desc("count")).show(truncate=False)

# Who presented tokens that were refused, with the first reason.
(audited.where(~F.col("valid"))
    .select("request_id", "principal", "tenant", "expires_at", "failed", "message")
    .show(20, truncate=80))

# COMMAND ----------

# The same from SQL (a pandas UDF; on Unity Catalog, register it as a batch
# Python UDF with entra_doctor.spark.verdict_frame as the handler).
spark.udf.register("entra_check", verdict_udf(jwks=jwks, tenant=TENANT))
logs.createOrReplaceTempView("logged_tokens")
spark.sql("""
    SELECT entra_check(token).valid AS valid, count(*) AS n
    FROM logged_tokens GROUP BY 1
""").show()

# A single token, explained (the engine's findings, as `entra-doctor check`).
first = logs.first()["token"]
for f in entra_doctor.check(first, jwks=jwks, tenant=TENANT).findings:
    print(f"{f.check:9} {f.status:4} {f.message}")
