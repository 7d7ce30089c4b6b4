"""The Slack stand-in: Web API + response URLs + Socket Mode on 127.0.0.1, checked against Slack's contract.

The end-to-end tests, the benchmarks and `warroom sandbox` all run the real bot against it.

Usage::

    async with FakeSlack() as fake:
        client = AsyncWebClient(token="xoxb-test", base_url=fake.api_url)
        ...
        fake.assert_no_violations()
"""

from .contract import ContractViolation, SharedContractMissing, check_blocks, check_call, check_view
from .server import FakeSlack
from .signing import sign, signed_headers
from .webapi import Call

__all__ = [
    "Call", "ContractViolation", "FakeSlack", "SharedContractMissing", "check_blocks",
    "check_call", "check_view", "sign", "signed_headers",
]
