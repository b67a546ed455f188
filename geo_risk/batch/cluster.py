"""Where batch work runs: ``local:N`` (a ``distributed.LocalCluster`` of N workers) or a scheduler address."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from geo_risk.errors import ValidationError

log = logging.getLogger(__name__)

_LOCAL = re.compile(r"^local:(?P<n>[0-9]+)$")
_REMOTE = re.compile(r"^(tcp|tls)://[A-Za-z0-9_.\-\[\]:]+:[0-9]+$")


@dataclass(frozen=True)
class ClusterSpec:
    """A parsed ``--cluster`` value: ``workers`` local processes, or the ``address`` of a scheduler."""

    workers: int | None = None
    address: str | None = None

    def __str__(self) -> str:
        return f"local:{self.workers}" if self.address is None else self.address


def parse_cluster(text: str) -> ClusterSpec:
    """Parse ``local:N`` (N >= 1) or ``tcp://HOST:PORT`` / ``tls://HOST:PORT``.

    Raises
    ------
    ValidationError
        Anything else, with the accepted forms.
    """
    value = text.strip()
    local = _LOCAL.match(value)
    if local:
        n = int(local["n"])
        if n < 1:
            msg = f"--cluster {text!r}: a local cluster needs at least one worker: local:N with N >= 1"
            raise ValidationError(msg)
        return ClusterSpec(workers=n)
    if _REMOTE.match(value):
        return ClusterSpec(address=value)
    msg = (
        f"--cluster {text!r} is not understood; give local:N for N worker processes on this machine "
        "or the address of a running Dask scheduler, e.g. tcp://scheduler.example:8786"
    )
    raise ValidationError(msg)


@contextmanager
def open_client(spec: ClusterSpec, *, processes: bool = True) -> Iterator[object]:
    """A ``distributed.Client`` on ``spec``; a local cluster is started here and closed on exit.

    A local cluster listens on the loopback address only and runs no dashboard. ``processes=False``
    runs its workers as threads of this process (for tests).
    """
    from distributed import Client, LocalCluster

    if spec.address is not None:
        try:
            client = Client(spec.address, timeout="20s")
        except OSError as exc:
            msg = f"cannot reach the Dask scheduler at {spec.address} ({exc}); check it runs and the address"
            raise ValidationError(msg) from exc
        try:
            yield client
        finally:
            client.close()
        return
    # worker processes talk over the loopback address only; threads use in-process comms
    where = {"host": "127.0.0.1"} if processes else {}
    cluster = LocalCluster(
        n_workers=spec.workers, threads_per_worker=1, processes=processes, dashboard_address=None, **where
    )
    client = Client(cluster)
    log.info("local Dask cluster with %d worker(s)", spec.workers)
    try:
        yield client
    finally:
        client.close()
        cluster.close()
