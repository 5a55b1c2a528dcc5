"""PayFiP's web-service mode (SAISIE W, and T/X for such a client) as pure Python: no Django.

The SOAP client (``PayfipClient``: ``creerPaiementSecurise``, ``recupererDetailPaiementSecurise``,
``recupererDetailClient``), its typed answers and errors, the envelopes both sides use (the
sandbox serves them too), the strict Europe/Paris reading of ``dattrans``/``heurtrans``, and our
WSDL of the service (``WSDL_PATH``), written from PAYFIP.md.

Why lxml envelopes built by hand rather than zeep: the service has three flat operations whose
exact wire form is the contract (unqualified ``<arg0>``/``<return>``, case-sensitive ``idOp`` and
``numCli``, ``objet`` left out when empty, faults as ``FonctionnelleErreur`` with HTTP 500), and
hand-built envelopes pin that form exactly, read answers defensively (no DTD, no entity, bounded
size, unknown fields ignored) and map every failure to PayfipFault or PayfipUnavailable in one
place. zeep would add a runtime dependency and a WSDL parse at start for no gain; it stays a
test dependency, used to prove that a WSDL-driven client (eopayment's) can use the sandbox
unchanged through the WSDL in this package, which the sandbox serves at ``?wsdl``.
"""

from pathlib import Path

from .client import MAX_ANSWER_BYTES, PayfipClient
from .dates import PARIS, format_paid_at, parse_paid_at
from .detail import (
    CANCELLED_RESULTS,
    KNOWN_RESULTS,
    PAID_RESULTS,
    REFUSED_RESULTS,
    ClientDetail,
    PaymentDetail,
    read_client_detail,
    read_idop,
    read_payment_detail,
)
from .envelopes import (
    MalformedMessage,
    client_fault_envelope,
    fault_envelope,
    read_answer,
    read_request,
    request_envelope,
    response_envelope,
)
from .errors import PayfipError, PayfipFault, PayfipUnavailable
from .names import (
    CLIENT_DETAIL,
    CREATE_PAYMENT,
    FAULT_TEXTS,
    FUNCTIONAL_FAULT,
    PAYMENT_DETAIL,
    PAYMENT_PAGE_PATH,
    REQUEST_FIELDS,
    RESPONSE_FIELDS,
    SERVICE_NS,
    SERVICE_PATH,
    TECHNICAL_FAULTS,
)

# Our WSDL of the service; its soap:address is PayFiP's, replaced by whoever serves it elsewhere.
WSDL_PATH = Path(__file__).with_name("PaiementSecuriseService.wsdl")
WSDL_ADDRESS = "https://www.payfip.gouv.fr/tpa/services/securite"

__all__ = [
    "CANCELLED_RESULTS",
    "CLIENT_DETAIL",
    "CREATE_PAYMENT",
    "FAULT_TEXTS",
    "FUNCTIONAL_FAULT",
    "KNOWN_RESULTS",
    "MAX_ANSWER_BYTES",
    "PAID_RESULTS",
    "PARIS",
    "PAYMENT_DETAIL",
    "PAYMENT_PAGE_PATH",
    "REFUSED_RESULTS",
    "REQUEST_FIELDS",
    "RESPONSE_FIELDS",
    "SERVICE_NS",
    "SERVICE_PATH",
    "TECHNICAL_FAULTS",
    "WSDL_ADDRESS",
    "WSDL_PATH",
    "ClientDetail",
    "MalformedMessage",
    "PayfipClient",
    "PayfipError",
    "PayfipFault",
    "PayfipUnavailable",
    "PaymentDetail",
    "client_fault_envelope",
    "fault_envelope",
    "format_paid_at",
    "parse_paid_at",
    "read_answer",
    "read_client_detail",
    "read_idop",
    "read_payment_detail",
    "read_request",
    "request_envelope",
    "response_envelope",
]
