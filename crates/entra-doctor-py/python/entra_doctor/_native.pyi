"""Types of the Rust extension (re-exported by ``entra_doctor``)."""

import datetime
import os
from typing import Any, Dict, Iterable, List, Optional, Sequence, Union

__version__: str

class Error(ValueError):
    """Base of entra-doctor's errors."""

class TokenError(Error):
    """The text is not a token; the message names the part that is wrong."""

class KeySetError(Error):
    """The key set cannot be used."""

class ExplainError(Error):
    """explain() does not recognise the input."""

JwksLike = Union[None, "KeySet", Dict[str, Any], str, bytes, "os.PathLike[str]"]
AtLike = Union[None, int, float, str, datetime.datetime]

class KeySet:
    """Trusted keys, parsed once: a JWKS, one JWK, PEM certificate(s) or
    public key(s), or a DER certificate (as dict, text, bytes or a path)."""

    def __init__(self, jwks: JwksLike) -> None: ...
    def __len__(self) -> int: ...
    @property
    def kids(self) -> List[str]: ...
    @property
    def problems(self) -> List[str]: ...
    def to_bytes(self) -> bytes: ...

class VerifiedCache:
    """The CLI batch's verified-token cache (SHA-256 digests, no tokens),
    to keep across check_batch/check_columns calls: a token checked before
    with the same keys and options is not verified again. Bounded in
    entries, bytes (24 MiB) and idle time (15 min)."""

    def __init__(self, entries: int = 131072) -> None: ...
    def __len__(self) -> int: ...

class Finding:
    @property
    def check(self) -> str: ...
    @property
    def status(self) -> str:
        """'pass', 'warn', 'fail' or 'skip'."""
    @property
    def expected(self) -> Optional[str]: ...
    @property
    def actual(self) -> Optional[str]: ...
    @property
    def message(self) -> str: ...
    @property
    def fix(self) -> Optional[str]: ...
    def to_dict(self) -> Dict[str, Any]: ...

class Report:
    @property
    def valid(self) -> bool:
        """The engine's verdict (``check``'s exit status 0)."""
    @property
    def complete(self) -> bool: ...
    @property
    def failed(self) -> List[str]: ...
    @property
    def findings(self) -> List[Finding]: ...
    @property
    def summary(self) -> Optional[Dict[str, Any]]: ...
    def get(self, check: str) -> Optional[Finding]: ...
    def to_dict(self) -> Dict[str, Any]:
        """The object ``entra-doctor check --json`` prints."""
    def to_json(self) -> str: ...

class Decoded:
    @property
    def header(self) -> Dict[str, Any]: ...
    @property
    def claims(self) -> Dict[str, Any]: ...
    @property
    def summary(self) -> Dict[str, Any]: ...
    @property
    def entries(self) -> List[Dict[str, Any]]:
        """Each claim: name, value, meaning, and utc/relative for times."""
    @property
    def header_entries(self) -> List[Dict[str, Any]]: ...
    @property
    def meanings(self) -> Dict[str, Optional[str]]: ...
    def to_dict(self) -> Dict[str, Any]:
        """The object ``entra-doctor decode --json`` prints."""

class Explanation:
    @property
    def headline(self) -> str: ...
    @property
    def codes(self) -> List[int]: ...
    @property
    def kind(self) -> Optional[str]: ...
    @property
    def advice(self) -> List[Dict[str, Any]]: ...
    def to_dict(self) -> Dict[str, Any]:
        """The object ``entra-doctor explain --json`` prints."""

def check(
    token: str,
    *,
    jwks: JwksLike = None,
    audience: Union[str, Sequence[str], None] = None,
    tenant: Optional[str] = None,
    issuer: Optional[str] = None,
    at: AtLike = None,
    skew: int = 300,
    algorithms: Optional[Sequence[str]] = None,
) -> Report: ...
def check_batch(
    tokens: Iterable[Optional[Union[str, bytes]]],
    *,
    jwks: JwksLike = None,
    audience: Union[str, Sequence[str], None] = None,
    tenant: Optional[str] = None,
    issuer: Optional[str] = None,
    at: AtLike = None,
    skew: int = 300,
    algorithms: Optional[Sequence[str]] = None,
    ats: Optional[Iterable[AtLike]] = None,
    threads: Optional[int] = None,
    cache: Optional[VerifiedCache] = None,
) -> List[Report]: ...
def check_columns(
    tokens: Iterable[Optional[Union[str, bytes]]],
    *,
    jwks: JwksLike = None,
    audience: Union[str, Sequence[str], None] = None,
    tenant: Optional[str] = None,
    issuer: Optional[str] = None,
    at: AtLike = None,
    skew: int = 300,
    algorithms: Optional[Sequence[str]] = None,
    ats: Optional[Iterable[AtLike]] = None,
    threads: Optional[int] = None,
    reports: bool = False,
    cache: Optional[VerifiedCache] = None,
) -> Dict[str, List[Any]]: ...
def decode(token: str, *, at: AtLike = None) -> Decoded: ...
def explain(
    text: str,
    *,
    flow: Optional[str] = None,
    tenant: Optional[str] = None,
    client_id: Optional[str] = None,
    redirect_uri: Optional[str] = None,
    resource: Optional[str] = None,
    registered: Optional[Sequence[str]] = None,
) -> Explanation: ...
def run_cli(argv: List[str]) -> int: ...
def _engine_seconds_per_check(
    token: str, *, jwks: JwksLike, tenant: Optional[str] = None, n: int = 10_000
) -> float:
    """For bench/python.py: seconds per check in a Rust loop."""
def _batch_lengths(
    tokens: Iterable[Union[str, bytes, None]],
    *,
    threads: int = 2,
    spin_us: int = 0,
    panic_on: Optional[str] = None,
) -> List[int]:
    """For the package's tests: the batch machinery with a stand-in check."""
