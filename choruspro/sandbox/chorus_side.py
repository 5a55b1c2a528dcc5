"""What PISTE and Chorus Pro do with a request, in the sandbox: token, access checks, the calls
a portal needs and their checks, and invoices moving through their statuses over time.

The views reach everything through this module: the table of calls lives here, each call in
its own module (``structures``, ``invoices``), PISTE's token and access checks in ``piste``,
the answers' conventions in ``api``, statuses over time in ``invoice_statuses``.
"""

from __future__ import annotations

from choruspro.sandbox.api import ApiError, body_json, refused
from choruspro.sandbox.invoice_statuses import FINAL, FORCEABLE, invoice_advance, invoice_force
from choruspro.sandbox.invoices import invoice_history, invoice_submit, invoices_search, pdf_deposit
from choruspro.sandbox.piste import access_check, token_issue
from choruspro.sandbox.structures import (
    bank_details,
    health_check,
    services_search,
    structure_get,
    structure_search,
    structures_for_user,
    supplier_structures,
)

__all__ = [
    "CALLS",
    "FINAL",
    "FORCEABLE",
    "ApiError",
    "access_check",
    "body_json",
    "invoice_advance",
    "invoice_force",
    "refused",
    "token_issue",
]

CALLS = {
    ("GET", "/cpro/transverses/v1/health-check"): health_check,
    ("POST", "/cpro/transverses/v1/recuperer/structuresPourUtilisateur"): structures_for_user,
    ("POST", "/cpro/transverses/v1/recuperer/structures/actives/fournisseur"): supplier_structures,
    ("POST", "/cpro/transverses/v1/recuperer/coordbanc/valides"): bank_details,
    ("POST", "/cpro/structures/v1/rechercher"): structure_search,
    ("POST", "/cpro/structures/v1/consulter"): structure_get,
    ("POST", "/cpro/structures/v1/rechercher/services"): services_search,
    ("POST", "/cpro/factures/v1/deposer/pdf"): pdf_deposit,
    ("POST", "/cpro/factures/v1/soumettre"): invoice_submit,
    ("POST", "/cpro/factures/v1/consulter/historique"): invoice_history,
    ("POST", "/cpro/factures/v1/rechercher/fournisseur"): invoices_search,
}
