"""The development harness: everything `make demo`, `make bench`, the docs and the tests share.

One module per concern, each written once:

* ``emulator``   the moto server on loopback, and the environment that points clients at it;
* ``tfenv``      Terraform's provider source (the registry, or a local mirror when offline);
* ``terraform``  the one terraform subprocess wrapper and its environment;
* ``stack``      the one deploy/destroy path: an example applied to the emulator;
* ``lambdas``    runs a shipped zip as Lambda does (a fresh interpreter, ``app.py`` at its root);
* ``events``     source events built from the documented AWS examples, and Lambda trigger events;
* ``calls``      invoking handlers as Firehose and API Gateway do, and checking their contracts;
* ``firehose``, ``streams``, ``queues``, ``healing``  what Firehose, the table stream's
  mapping, SQS and the heal queue's mapping do where the emulator does not;
* ``faultproxy``  a DynamoDB endpoint that throttles, errs or is down, as a bad day does;
* ``build``      the reproducible ``dist/`` zips;
* ``tfdocs``, ``statusdocs``  the generated README sections;
* ``demo``, ``local_api``     `make demo`;
* ``smoke``, ``deployments``, ``simulator``  `make smoke`, in the user's own AWS account
  (the one part that talks to AWS, never run by the tests against it).

Nothing here imports from ``tests``; the tests import from here.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAMBDA_SRC = ROOT / "lambda_src"
DIST = ROOT / "dist"
FIXTURES = ROOT / "tests" / "fixtures"
