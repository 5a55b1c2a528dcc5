"""Public-body debtors: marked by staff or detected in imports, their Chorus Pro structure."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from choruspro.client import ChorusError
from choruspro.models import (
    PublicBody,
    ScannedBatch,
)
from choruspro.public_body_codes import DEFAULT_CODES, hints_from_raw, public_body_hint, siret_clean
from choruspro.selectors import chorus_settings_get
from choruspro.services.connection import ChorusRefused, chorus_client, error_explain
from debts.models import Debt, DebtorReference, ImportBatch

logger = logging.getLogger(__name__)


# --- Public bodies -----------------------------------------------------------------------


def public_body_mark(
    *,
    debtor: DebtorReference,
    siret: str,
    user=None,
    service_code: str = "",
    engagement: str = "",
    lookup: bool = True,
    source: str = PublicBody.Source.STAFF,
    reason: str = "",
) -> PublicBody:
    """Mark a debtor as a public body (or update its SIRET), then look its structure up."""
    siret = siret_clean(siret)
    with transaction.atomic():
        body, created = PublicBody.objects.select_for_update().get_or_create(
            debtor=debtor, defaults={"siret": siret, "source": source, "reason": reason, "marked_by": user}
        )
        if not created and body.siret != siret:
            body.siret = siret
            body.structure_id, body.structure_environment, body.structure_checked_at = None, "", None
        if service_code:
            body.default_service_code = service_code.strip()
        if engagement:
            body.default_engagement = engagement.strip()
        body.save()
    logger.info("choruspro public body marked debtor=%s created=%s", debtor.pk, created)
    return public_body_structure_refresh(public_body=body) if lookup else body


def public_body_unmark(*, debtor: DebtorReference) -> None:
    body = PublicBody.objects.filter(debtor=debtor).first()
    if body is None:
        return
    if body.invoices.exists():
        raise ChorusRefused(
            "Des factures ont déjà été envoyées à cet organisme sur Chorus Pro : il reste un organisme public."
        )
    body.delete()


def public_body_structure_refresh(*, public_body: PublicBody, environment: str | None = None) -> PublicBody:
    """Its Chorus Pro structure by SIRET, and its rules: service code, engagement number, services."""
    environment = environment or chorus_settings_get().environment
    if not public_body.siret:
        return public_body
    found: dict = {}
    error = ""
    try:
        client = chorus_client(environment=environment)
        rows = client.structure_search(siret=public_body.siret).get("listeStructures") or []
        if not rows:
            error = (
                f"Aucune structure active n'a le SIRET {public_body.siret} dans Chorus Pro ({environment}) : "
                "vérifiez le SIRET auprès de l'organisme."
            )
        else:
            structure_id = int(rows[0]["idStructureCPP"])
            detail = client.structure_get(structure_id=structure_id)
            rules = detail.get("parametres") or {}
            answer = client.services_search(structure_id=structure_id)
            services = answer.get("listeServices") or []
            total = (answer.get("parametresRetour") or {}).get("total", len(services))
            found = {
                "services_complete": int(total) <= len(services),
                "structure_id": structure_id,
                "structure_name": str(detail.get("raisonSociale") or rows[0].get("designationStructure") or "")[:200],
                "service_code_required": bool(rules.get("codeServiceDoitEtreRenseigne")),
                "engagement_required": bool(rules.get("numeroEJDoitEtreRenseigne")),
                "services": [
                    {"code": str(s.get("codeService", "")), "label": str(s.get("libelleService", ""))}
                    for s in services
                    if s.get("estActif", True)
                ],
            }
    except ChorusError as exc:
        error = error_explain(exc, environment)
    with transaction.atomic():
        body = PublicBody.objects.select_for_update().get(pk=public_body.pk)
        body.structure_checked_at = timezone.now()
        body.structure_error = error[:300]
        if found:
            body.structure_environment = environment
            for name, value in found.items():
                setattr(body, name, value)
        body.save()
    return body


def public_bodies_detect(*, batch: ImportBatch | None = None, codes=DEFAULT_CODES) -> int:
    """Public bodies the import files designate (PES V2 CatTiers/NatJur with IdTiers SIRET,
    INDIGO CODEDEBIT), read back from the debts' raw records; each batch looked at once."""
    if batch is not None:
        batches = [batch]
    else:
        batches = ImportBatch.objects.filter(state=ImportBatch.State.DONE, dry_run=False, imported__gt=0).exclude(
            pk__in=ScannedBatch.objects.values("batch_id")
        )
    total = 0
    for one in batches:
        found = 0
        if one.fmt in ("indigo", "pesv2"):
            debts = Debt.objects.filter(batch=one, debtor__isnull=False, debtor__public_body__isnull=True)
            seen: set[int] = set()
            for debtor_id, raw in debts.values_list("debtor_id", "raw_record").iterator(chunk_size=2000):
                if debtor_id in seen:
                    continue
                hint = public_body_hint(hints_from_raw(one.fmt, raw), codes)
                if hint is None:
                    continue
                seen.add(debtor_id)
                _, created = PublicBody.objects.get_or_create(
                    debtor_id=debtor_id,
                    defaults={
                        "siret": hint.siret,
                        "source": PublicBody.Source.IMPORT,
                        "reason": f"Import « {one.filename} » : {hint.reason}"[:200],
                    },
                )
                found += created
        ScannedBatch.objects.update_or_create(batch=one, defaults={"found": found})
        total += found
    if total:
        logger.info("choruspro public bodies detected: %s", total)
    return total
