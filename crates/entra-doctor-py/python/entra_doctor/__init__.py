"""entra-doctor: why does my Microsoft Entra ID token not work with Azure Databricks?

The entra-doctor engine (Rust) from Python. Nothing here goes online: keys are
given (``jwks=``), never fetched, and a token's own ``jku``/``x5u``/``jwk``/``x5c``
are never used.

>>> import entra_doctor
>>> r = entra_doctor.check(open("examples/databricks-token.jwt").read(),
...                        jwks=open("examples/jwks.json").read(),
...                        tenant="8f3c1d2e-5b7a-4c19-9e2d-6a1b3c4d5e6f")
>>> r.valid, r.failed
(True, [])

``r.to_dict()`` is the object ``entra-doctor check --json`` prints.

``check_batch`` checks many tokens at once, on all cores, with the GIL
released; ``entra_doctor.spark`` does it on a Spark cluster.
"""

from __future__ import annotations

from typing import Any, Iterable, Optional, Sequence, Union

from . import _native
from ._native import (
    Decoded,
    Error,
    ExplainError,
    Explanation,
    Finding,
    KeySet,
    KeySetError,
    Report,
    TokenError,
    VerifiedCache,
    __version__,
    check,
    decode,
    explain,
)

# The name the issue asks for; it is entra_doctor.KeyError, not the builtin.
KeyError = KeySetError  # noqa: A001

__all__ = [
    "Decoded",
    "Error",
    "ExplainError",
    "Explanation",
    "Finding",
    "KeySet",
    "KeySetError",
    "Report",
    "TokenError",
    "VerifiedCache",
    "__version__",
    "check",
    "check_batch",
    "decode",
    "explain",
]

# Arrow types of the verdict columns (check_batch(..., output="arrow") and
# the Spark module).
COLUMNS = (
    "valid",
    "complete",
    "failed",
    "principal",
    "principal_type",
    "tenant",
    "audience",
    "expires_at",
    "message",
)


def check_batch(
    tokens: Iterable[Optional[Union[str, bytes]]],
    *,
    jwks: Any = None,
    audience: Union[str, Sequence[str], None] = None,
    tenant: Optional[str] = None,
    issuer: Optional[str] = None,
    at: Any = None,
    skew: int = 300,
    algorithms: Optional[Sequence[str]] = None,
    ats: Optional[Iterable[Any]] = None,
    threads: Optional[int] = None,
    output: str = "reports",
    cache: Optional[VerifiedCache] = None,
) -> Any:
    """Checks many tokens at once: on all cores (``threads``), the GIL
    released, the key set parsed once (pass a ``KeySet`` to reuse it across
    calls). Results are in input order; a ``None`` token fails ``format``.

    ``ats``: one instant per token (None entries: ``at``), for tokens from logs.

    A token that comes back in the call is verified once: the call has a
    verified-token cache, the CLI batch's (digests only, no tokens). Pass
    ``cache=VerifiedCache()`` to keep it across calls; a call with other
    keys or options than the cache's last does not answer from it.
    A ``Report`` keeps the verdict (``valid``, ``complete``, ``failed``);
    its ``findings``, ``summary`` and ``to_dict()`` are built the first
    time they are asked for (the same check again, every finding in full).

    ``output="reports"`` (default) gives ``list[Report]``; ``output="arrow"``
    a ``pyarrow.Table`` of the verdict columns (``valid``, ``complete``,
    ``failed``, ``principal``, ``principal_type``, ``tenant``, ``audience``,
    ``expires_at``, ``message``: the first failed finding's message).

    >>> reports = entra_doctor.check_batch(lines, jwks=keys, tenant=tid)
    >>> sum(not r.valid for r in reports)
    """
    kwargs = dict(
        jwks=jwks,
        audience=audience,
        tenant=tenant,
        issuer=issuer,
        at=at,
        skew=skew,
        algorithms=list(algorithms) if algorithms is not None else None,
        ats=ats,
        threads=threads,
        cache=cache,
    )
    if output == "reports":
        return _native.check_batch(tokens, **kwargs)
    if output == "arrow":
        return columns_to_arrow(_native.check_columns(tokens, **kwargs))
    raise ValueError(f"output must be 'reports' or 'arrow', not {output!r}")


def arrow_schema(with_report: bool = False):  # -> pyarrow.Schema
    """The Arrow schema of the verdict columns."""
    import pyarrow as pa

    fields = [
        pa.field("valid", pa.bool_(), nullable=False),
        pa.field("complete", pa.bool_(), nullable=False),
        pa.field("failed", pa.list_(pa.string()), nullable=False),
        pa.field("principal", pa.string()),
        pa.field("principal_type", pa.string()),
        pa.field("tenant", pa.string()),
        pa.field("audience", pa.string()),
        pa.field("expires_at", pa.timestamp("s", tz="UTC")),
        pa.field("message", pa.string()),
    ]
    if with_report:
        fields.append(pa.field("report", pa.string()))
    return pa.schema(fields)


def columns_to_arrow(cols: dict, with_report: bool = False):  # -> pyarrow.Table
    import pyarrow as pa

    schema = arrow_schema(with_report)
    arrays = [pa.array(cols[f.name], type=f.type) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)
