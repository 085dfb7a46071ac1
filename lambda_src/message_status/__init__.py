"""Message status: a pure core that turns delivery events into one record per message.

The core is plain functions over plain data, tested without mocks: ``model``
(the status model), ``timefmt``, ``text``, ``ids``, ``recipients``, ``events``,
``outcomes``, ``parse``, ``history``, ``record``, ``item``, ``pipeline``,
``metrics``, ``requests``, ``answers``, ``search``, ``changes``, ``heal``
(what becomes of the records of Firehose's error output) and
``error_output`` (reading it, streamed and verbatim).

The AWS edges are one module per service, each depending on ``budget`` (call
budgets and deadlines) and ``call_errors`` (the error code a failed call is
logged under), and on no other edge: ``store`` (DynamoDB), ``publisher``
(EventBridge) and ``objects`` (S3). ``dynamodb_json`` is DynamoDB's attribute-value
format, with no client and no call. The handlers read their environment
through ``settings`` and annotate traces through ``tracing``.
"""
