"""Message status: a pure core that turns delivery events into one record per message.

The core is ``model`` (the status model), ``timefmt``, ``ids``, ``events``,
``outcomes``, ``parse``, ``record``, ``item``, ``pipeline`` and ``requests``:
plain functions over plain data, tested without mocks. ``store`` is the only
module that talks to AWS (DynamoDB).
"""
