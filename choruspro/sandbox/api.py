"""What every call of the sandbox's API shares: an answer other than 200 (``ApiError``), the
"refused" and "ok" bodies Chorus Pro writes, and reading the JSON body and its fields."""

from __future__ import annotations

import json
from decimal import Decimal

__all__ = ["ApiError", "body_json", "int_field", "ok", "refused", "require_fields"]


class ApiError(Exception):
    """An answer other than 200: its HTTP status and JSON body."""

    def __init__(self, status: int, body: dict) -> None:
        super().__init__(body)
        self.status = status
        self.body = body


def refused(libelle: str, code: int = 20001, status: int = 400) -> ApiError:
    return ApiError(status, {"codeRetour": code, "libelle": libelle})


def body_json(raw: bytes) -> dict:
    try:
        body = json.loads(raw.decode("utf-8") or "{}", parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise refused("Le corps de la requête n'est pas un JSON valide.", 10001) from None
    if not isinstance(body, dict):
        raise refused("Le corps de la requête doit être un objet JSON.", 10001)
    return body


def ok(**fields) -> dict:
    return {"codeRetour": 0, "libelle": "GCU_MSG_01_000", **fields}


def int_field(body: dict, name: str) -> int:
    try:
        return int(body[name])
    except (KeyError, TypeError, ValueError):
        raise refused(f"Le champ {name} est obligatoire et doit être un entier.") from None


def require_fields(body: dict, *names: str) -> None:
    for name in names:
        node = body
        for part in name.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node in (None, "", [], {}):
            raise refused(f"Le champ {name} est obligatoire.", 20010)
