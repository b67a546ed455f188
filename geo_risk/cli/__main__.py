"""``python -m geo_risk.cli`` runs the ``geo-risk`` command."""

from geo_risk.cli import main

main()
