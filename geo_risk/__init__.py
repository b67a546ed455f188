"""geo-risk: location risk for safeguarding young people.

The library never imports Flask. Data flows one way: files -> ``ingest`` ->
``store`` -> an in-memory snapshot -> the pure core (``surface``, ``network``,
``scoring``, ``routing``, ``briefing``) -> ``web`` / ``cli``.
"""

__version__ = "0.1.0"
