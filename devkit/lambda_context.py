"""The Lambda context object handlers receive, for code run outside Lambda."""

from __future__ import annotations

import time
import uuid


class LambdaContextStub:
    """The parts of a LambdaContext that Powertools and our handlers read."""

    def __init__(self, function_name: str = "message-status", remaining_ms: int = 60_000) -> None:
        self.function_name = function_name
        self.memory_limit_in_mb = 256
        self.invoked_function_arn = (
            f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        )
        self.aws_request_id = str(uuid.uuid4())
        self._deadline = time.monotonic() + remaining_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))
