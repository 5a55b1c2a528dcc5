"""Finding the idOp in what PayFiP (or anyone) sends: its name in any case, body then query string."""

import pytest

from payments.returns.payfip_messages import idop_from_request

IDOP = "cc0cb210-1cd4-11ea-8cca-0213ad91a103"


@pytest.mark.parametrize(
    ("body", "query", "expected"),
    [
        (f"idop={IDOP}".encode(), "", IDOP),
        (f"idOp={IDOP}".encode(), "", IDOP),
        (b"", f"IDOP={IDOP}", IDOP),
        (f"other=1&IdOp={IDOP}".encode(), "idop=from-the-query", IDOP),  # the body first
        (b"idop=", f"idop={IDOP}", IDOP),
        (b"", "", ""),
        (b"idop=%3Cscript%3E", "", ""),  # not an idOp's characters
        (("idop=" + "a" * 65).encode(), "", ""),  # longer than any idOp
        (b"\xff\xfe=\x00", "", ""),
        (b"a=1&" * 30 + f"idop={IDOP}".encode(), "", ""),  # past 20 fields: not read
    ],
)
def test_idop_from_request(body, query, expected):
    assert idop_from_request(body=body, query_string=query) == expected
