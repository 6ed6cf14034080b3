"""entra-doctor on Spark: the engine over whole Arrow batches.

``check_tokens(df, "token", jwks=..., tenant=...)`` adds the verdict columns
to a DataFrame through ``mapInArrow``: each Arrow batch goes into Rust in one
call (all cores of the executor, the GIL released), the key set is broadcast
once and parsed once per Python worker. ``verdict_udf(...)`` is the same as a
``pandas_udf`` returning a struct, for SQL (``spark.udf.register``) and Unity
Catalog batch Python UDFs.

    from entra_doctor.spark import check_tokens
    audited = check_tokens(spark.table("gateway_logs"), "token",
                           jwks=jwks_json, tenant=tid, at_column="logged_at")
    audited.groupBy("failed").count().show()
"""


import hashlib
import time
import uuid
from typing import Any, Dict, Iterator, Optional, Sequence, Union

from . import KeySet, VerifiedCache, _native, arrow_schema

# The verdict columns added, in order, and their Spark SQL types.
VERDICT_DDL = (
    "valid boolean, complete boolean, failed array<string>, principal string, "
    "principal_type string, tenant string, audience string, expires_at timestamp, "
    "message string"
)

# One parsed key set per Python worker and key set (keyed by its digest).
_KEYS: Dict[str, KeySet] = {}


def _keyset(data: bytes) -> KeySet:
    digest = hashlib.sha256(data).hexdigest()
    keys = _KEYS.get(digest)
    if keys is None:
        keys = KeySet(data)
        if len(_KEYS) > 8:
            _KEYS.clear()
        _KEYS[digest] = keys
    return keys


# One verified-token cache per Python worker and job (check_tokens call):
# the same token again in the job, in this or a later batch, is not
# verified again. A new job starts a new cache.
_CACHES: Dict[str, VerifiedCache] = {}


def _cache(job: str) -> VerifiedCache:
    cache = _CACHES.get(job)
    if cache is None:
        _CACHES.clear()
        cache = _CACHES[job] = VerifiedCache()
    return cache


def _jwks_bytes(jwks: Any) -> bytes:
    # Parsed on the driver first: a bad key set fails here, not in a task.
    return KeySet(jwks).to_bytes()


def _policy(audience, tenant, issuer, skew, algorithms, at) -> Dict[str, Any]:
    if isinstance(audience, str):
        audience = [audience]
    return dict(
        audience=list(audience) if audience is not None else None,
        tenant=tenant,
        issuer=issuer,
        skew=skew,
        algorithms=list(algorithms) if algorithms is not None else None,
        at=at,
    )


def verdict_fields(with_report: bool = False) -> list:
    """The Spark fields of the verdict columns."""
    from pyspark.sql.types import (ArrayType, BooleanType, StringType, StructField,
                                   TimestampType)

    fields = [
        StructField("valid", BooleanType(), False),
        StructField("complete", BooleanType(), False),
        StructField("failed", ArrayType(StringType(), True), False),
        StructField("principal", StringType(), True),
        StructField("principal_type", StringType(), True),
        StructField("tenant", StringType(), True),
        StructField("audience", StringType(), True),
        StructField("expires_at", TimestampType(), True),
        StructField("message", StringType(), True),
    ]
    if with_report:
        fields.append(StructField("report", StringType(), True))
    return fields


def check_tokens(
    df,
    column: str,
    *,
    jwks: Any,
    tenant: Optional[str] = None,
    audience: Union[str, Sequence[str], None] = None,
    issuer: Optional[str] = None,
    at_column: Optional[str] = None,
    at: Any = None,
    skew: int = 300,
    algorithms: Optional[Sequence[str]] = None,
    with_report: bool = False,
    threads: Optional[int] = None,
    keep_token: bool = True,
):
    """Returns ``df`` with the verdict columns added: ``valid``, ``complete``,
    ``failed`` (array of check names), ``principal``, ``principal_type``,
    ``tenant``, ``audience``, ``expires_at`` (timestamp), ``message`` (the
    first failed finding's), and with ``with_report=True`` ``report``: the
    ``check --json`` object as JSON text.

    ``jwks``: the trusted keys (dict, JSON/PEM text, bytes, path or KeySet),
    required: an audit without keys verifies nothing. ``at_column``: a
    timestamp (or epoch seconds) column to check each token as of when it
    was logged; otherwise ``at`` (default: now, on the driver).
    ``threads``: per task, default ``spark.task.cpus`` (Spark already runs
    one task per core). ``keep_token=False`` leaves the token column out of
    the result: an audit table then holds no bearer tokens, and Spark does
    not carry every token back from Python (faster).
    """
    if jwks is None:
        raise ValueError("jwks is required: an audit without keys verifies nothing")
    for name in ("valid", "complete", "failed", "principal", "principal_type",
                 "tenant", "audience", "expires_at", "message", "report"):
        if name in df.columns and name != column:
            raise ValueError(f"df already has a column {name!r}: rename it first")
    from pyspark.sql.types import StructType

    spark = df.sparkSession
    if threads is None:
        # Spark runs one task per core: each task's batch on its own cores.
        threads = int(spark.sparkContext.getConf().get("spark.task.cpus", "1"))
    keys_bc = spark.sparkContext.broadcast(_jwks_bytes(jwks))
    # One "now" for the whole job, taken on the driver.
    now = int(time.time()) if at is None else at
    policy = _policy(audience, tenant, issuer, skew, algorithms, now)
    _native.check("", **policy)  # bad arguments fail here, on the driver

    kept = [f for f in df.schema.fields if keep_token or f.name != column]
    out_schema = StructType(kept + verdict_fields(with_report))
    kept_names = [f.name for f in kept]
    schema = arrow_schema(with_report)
    job = uuid.uuid4().hex

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa

        keys = _keyset(keys_bc.value)
        cache = _cache(job)
        for batch in batches:
            tokens = batch.column(column).to_pylist()
            # datetimes (naive ones are UTC) or epoch seconds; None: `at`.
            ats = batch.column(at_column).to_pylist() if at_column else None
            cols = _native.check_columns(
                tokens, jwks=keys, ats=ats, threads=threads, reports=with_report,
                cache=cache, **policy
            )
            added = [pa.array(cols[f.name], type=f.type) for f in schema]
            # Spark's Arrow timestamps are microseconds.
            at_index = schema.get_field_index("expires_at")
            added[at_index] = added[at_index].cast(pa.timestamp("us", tz="UTC"))
            yield pa.RecordBatch.from_arrays(
                [batch.column(n) for n in kept_names] + added,
                names=kept_names + schema.names,
            )

    return df.mapInArrow(run, out_schema)


def verdict_udf(
    *,
    jwks: Any,
    tenant: Optional[str] = None,
    audience: Union[str, Sequence[str], None] = None,
    issuer: Optional[str] = None,
    skew: int = 300,
    algorithms: Optional[Sequence[str]] = None,
):
    """A ``pandas_udf`` (``token[, at]`` -> struct of the verdict columns),
    for SQL and Unity Catalog batch Python UDFs::

        udf = verdict_udf(jwks=jwks_json, tenant=tid)
        spark.udf.register("entra_check", udf)
        spark.sql("SELECT entra_check(token).valid, entra_check(token).failed FROM logs")

    The key set's bytes travel in the UDF's closure (they are small) and are
    parsed once per Python worker.
    """
    import pandas as pd
    from pyspark.sql.functions import pandas_udf

    data = _jwks_bytes(jwks)
    policy = _policy(audience, tenant, issuer, skew, algorithms, None)
    _native.check("", **policy)

    # Real annotations (not strings): pandas_udf reads them.
    @pandas_udf(VERDICT_DDL)
    def entra_check(tokens: pd.Series) -> pd.DataFrame:
        return verdict_frame(tokens, data, policy)

    return entra_check


def verdict_frame(tokens, jwks_bytes: bytes, policy: Dict[str, Any], ats=None):
    """The verdict columns of a pandas Series of tokens, as a DataFrame (the
    body of ``verdict_udf``; usable as a Unity Catalog batch UDF handler)."""
    import pandas as pd

    values = [None if (t is None or t != t) else t for t in tokens.tolist()]
    cols = _native.check_columns(values, jwks=_keyset(jwks_bytes), ats=ats, **policy)
    frame = pd.DataFrame({name: cols[name] for name in
                          ("valid", "complete", "failed", "principal", "principal_type",
                           "tenant", "audience", "expires_at", "message")})
    frame["expires_at"] = pd.to_datetime(frame["expires_at"], unit="s", utc=True)
    return frame
