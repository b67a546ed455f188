"""Batch work past one machine: every force's police.uk archives, partitioned by force, on Dask.

A national body runs the same back-tests and area surfaces as a city, for every force over several
years: tens of millions of incidents. This package splits the work by force and runs it on a
``distributed`` cluster (a ``LocalCluster`` of N workers on this machine, or an existing scheduler):

- :mod:`geo_risk.batch.cluster` parses ``--cluster local:N`` / ``tcp://HOST:8786`` and opens a client;
- :mod:`geo_risk.batch.forces` plans which archive files belong to which force and reads each force's
  files once into GeoParquet (Arrow) for the next stage;
- :mod:`geo_risk.batch.national` runs the per-force stages (back-test, surface) and gathers results,
  reporting a failing force with its reason without losing the others.

Each force's result is computed by one task with the same code as the single-process path, so the
numbers are identical for any number of workers.
"""
