"""The client of PayFiP's web service (``…/tpa/services/securite``), over requests.

Every call is one POST of a SOAP 1.1 envelope (``Content-Type: text/xml; charset=utf-8``,
``SOAPAction: ""``), with a timeout for the whole exchange, no redirect followed, and an answer
read up to ``MAX_ANSWER_BYTES``. Nothing is retried here: ``creerPaiementSecurise`` is not
idempotent (a repeat would create a second operation), and the detail is re-asked by the
caller's poller on its own schedule (PayFiP's guide spaces retries after a technical error).
"""

from __future__ import annotations

import logging
import time

import requests

from .detail import ClientDetail, PaymentDetail, read_client_detail, read_idop, read_payment_detail
from .envelopes import read_answer, request_envelope
from .errors import PayfipUnavailable
from .names import CLIENT_DETAIL, CREATE_PAYMENT, PAYMENT_DETAIL

logger = logging.getLogger(__name__)

MAX_ANSWER_BYTES = 256 * 1024  # a real answer is under 2 KB
HEADERS = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}


class PayfipClient:
    """PayFiP's three operations. ``timeout`` (seconds) bounds each call as a whole."""

    def __init__(self, *, service_url: str, timeout: float = 15, session: requests.Session | None = None) -> None:
        self.service_url = service_url
        self.timeout = timeout
        self._session = session or requests.Session()

    def close(self) -> None:
        """Close the kept-alive connections of this client's session."""
        self._session.close()

    def __enter__(self) -> PayfipClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def create_payment(
        self,
        *,
        numcli: str,
        exer: str,
        refdet: str,
        montant: int,
        mel: str,
        objet: str = "",
        saisie: str,
        urlnotif: str,
        urlredirect: str,
    ) -> str:
        """``creerPaiementSecurise``: the idOp of a new operation (``montant`` in integer cents).

        ``objet`` is left out when empty, as PayFiP expects. PayfipFault when PayFiP refuses a
        parameter (one anomaly per call: A2, R3…), PayfipUnavailable when there is no usable answer.
        """
        if not isinstance(montant, int) or isinstance(montant, bool):
            raise TypeError("montant is integer cents")
        fields = {"exer": exer, "mel": mel, "montant": str(montant), "numcli": numcli}
        if objet:
            fields["objet"] = objet
        fields.update(refdet=refdet, saisie=saisie, urlnotif=urlnotif, urlredirect=urlredirect)
        return read_idop(self._call(CREATE_PAYMENT, fields))

    def payment_detail(self, idop: str) -> PaymentDetail:
        """``recupererDetailPaiementSecurise``: the authenticated result of operation ``idop``.

        PayfipFault P5 while the payment is in progress, P1 for an idOp PayFiP does not know
        (never opened and purged overnight, or misspelt).
        """
        return read_payment_detail(self._call(PAYMENT_DETAIL, {"idOp": idop}), idop=idop)

    def client_detail(self, numcli: str) -> ClientDetail:
        """``recupererDetailClient``: the labels PayFiP holds for client ``numcli``."""
        return read_client_detail(self._call(CLIENT_DETAIL, {"numCli": numcli}))

    def _call(self, operation: str, fields: dict[str, str]) -> dict[str, str]:
        started = time.monotonic()
        status, body = self._post(request_envelope(operation, fields), started)
        logger.info("payfip %s: HTTP %s in %.0f ms", operation, status, (time.monotonic() - started) * 1000)
        return read_answer(operation, status, body)

    def _post(self, envelope: bytes, started: float) -> tuple[int, bytes]:
        try:
            with self._session.post(
                self.service_url,
                data=envelope,
                headers=HEADERS,
                timeout=self.timeout,
                allow_redirects=False,
                stream=True,
            ) as response:
                body = bytearray()
                # read1: what has arrived, so that a server dripping bytes cannot outlast the timeout.
                while chunk := response.raw.read1(16 * 1024, decode_content=True):
                    body += chunk
                    if len(body) > MAX_ANSWER_BYTES:
                        raise PayfipUnavailable(f"réponse de plus de {MAX_ANSWER_BYTES} octets")
                    if time.monotonic() - started > self.timeout:
                        raise PayfipUnavailable(f"pas de réponse complète en {self.timeout} s")
                return response.status_code, bytes(body)
        except requests.Timeout:
            raise PayfipUnavailable(f"pas de réponse en {self.timeout} s") from None
        except requests.RequestException as exc:
            raise PayfipUnavailable(f"PayFiP injoignable : {exc.__class__.__name__}") from None
