"""The two ways a PayFiP call fails: PayFiP said no (a functional fault), or no usable answer."""

from __future__ import annotations


class PayfipError(Exception):
    """Base of the errors of this package."""


class PayfipFault(PayfipError):
    """A ``FonctionnelleErreur``: PayFiP read the request and refused it, or has nothing to tell yet.

    ``code`` is PayFiP's (P1 unknown idOp, P5 result not known yet, A2 bad MEL, R3 bad REFDET…),
    ``message`` its ``libelle`` as sent (trailing spaces included), for the user or the log.
    """

    def __init__(self, code: str, message: str, *, descriptif: str = "", severite: str = "") -> None:
        super().__init__(f"{code}: {message.strip()}")
        self.code = code
        self.message = message
        self.descriptif = descriptif
        self.severite = severite


class PayfipUnavailable(PayfipError):
    """No functional answer: network error, timeout, a technical fault (``Tech*Erreur``), or an
    answer that is not PayFiP's (HTML, empty, truncated, unexpected shape). Try again later."""

    def __init__(self, reason: str, *, fault_type: str = "", code: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.fault_type = fault_type
        self.code = code
