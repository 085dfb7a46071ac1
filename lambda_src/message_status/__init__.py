"""Message status: a pure core that turns delivery events into one record per message.

Nothing in this package imports boto3 except ``store`` (the DynamoDB edge), so
the core (``model``, ``timefmt``, ``ids``, ``parse``, ``record``, ``document``)
is tested without mocks.
"""
