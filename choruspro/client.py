"""A client for Chorus Pro's API through PISTE, in plain Python (requests + urllib3, no Django).

* OAuth2 client credentials at ``<oauth>/api/oauth/token``; the token is kept in this process
  until shortly before it expires (never in the database: it is a bearer credential), and
  renewed once when the API answers 401 with a token it had believed valid.
* Every call carries ``cpro-account: base64(login:password)`` (the technical user) and JSON.
* Timeouts on every request. Retries with exponential back-off on network errors and 5xx
  only, and only where a repeat is harmless: every call but ``soumettre``, which is retried
  only when the connection could not even be opened (the request never left).
* Secrets are never logged, and never in an exception's text or a repr.
* Replies carry ``codeRetour`` (0 = fine) and ``libelle``; an HTTP 200 with ``codeRetour`` ≠ 0
  is a refusal, like an HTTP 400.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

logger = logging.getLogger(__name__)

__all__ = [
    "MAX_PDF_BYTES",
    "ChorusClient",
    "ChorusError",
    "Credentials",
    "Endpoints",
    "dumps_exact",
    "token_cache_clear",
]

TOKEN_PATH = "/api/oauth/token"
MAX_PDF_BYTES = 10 * 1024 * 1024  # deposer/pdf: 10 MB at most
RETRY_STATUSES = frozenset({500, 502, 503, 504})
JSON_TYPE = "application/json;charset=utf-8"


@dataclass(frozen=True)
class Endpoints:
    oauth: str  # e.g. https://sandbox-oauth.piste.gouv.fr
    api: str  # e.g. https://sandbox-api.piste.gouv.fr

    @property
    def token_url(self) -> str:
        return self.oauth.rstrip("/") + TOKEN_PATH

    def url(self, path: str) -> str:
        return self.api.rstrip("/") + path


@dataclass(frozen=True)
class Credentials:
    """PISTE application and Chorus Pro technical user. The repr never shows a secret."""

    client_id: str
    client_secret: str = field(repr=False)
    login: str
    password: str = field(repr=False)

    def missing(self) -> list[str]:
        return [name for name in ("client_id", "client_secret", "login", "password") if not getattr(self, name)]

    @property
    def cpro_account(self) -> str:
        return base64.b64encode(f"{self.login}:{self.password}".encode()).decode("ascii")


class ChorusError(Exception):
    """A call that did not succeed. ``kind`` says what went wrong:

    ``config`` (credentials missing), ``credentials`` (the token endpoint refused the application),
    ``unauthorized`` (401), ``forbidden`` (403), ``maintenance`` (500), ``unavailable`` (502, 503,
    504), ``network`` (no answer), ``refused`` (HTTP 400 or codeRetour ≠ 0), ``protocol`` (an
    answer that is not what the API sends). ``message`` is French; nothing secret is in it.
    """

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        status: int | None = None,
        code: Any = None,
        libelle: str = "",
        path: str = "",
        attempts: int = 1,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status
        self.code = code
        self.libelle = libelle
        self.path = path
        self.attempts = attempts


# --- Token cache (per process) -------------------------------------------------------

_tokens: dict[str, tuple[str, float]] = {}
_tokens_lock = threading.Lock()


def token_cache_clear() -> None:
    with _tokens_lock:
        _tokens.clear()


def _cache_key(token_url: str, credentials: Credentials) -> str:
    # The secret takes part (a renewed secret gets its own token) but only as a digest.
    digest = hashlib.sha256(credentials.client_secret.encode()).hexdigest()[:16]
    return f"{token_url}|{credentials.client_id}|{digest}"


# --- Exact JSON for money ------------------------------------------------------------

_DECIMAL_MARK = "\x00decimal:"
_DECIMAL_TOKEN = re.compile(r'"\\u0000decimal:(-?[0-9]+(?:\.[0-9]+)?)"')


def _mark_decimals(value):
    if isinstance(value, Decimal):
        return _DECIMAL_MARK + format(value, "f")
    if isinstance(value, dict):
        return {key: _mark_decimals(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mark_decimals(item) for item in value]
    if isinstance(value, float):
        raise TypeError("no float in a Chorus Pro payload: use Decimal for amounts")
    return value


def dumps_exact(payload) -> str:
    """JSON where Decimal amounts are written as exact JSON numbers (38.08), never through a float."""
    return _DECIMAL_TOKEN.sub(r"\1", json.dumps(_mark_decimals(payload), ensure_ascii=False))


# --- The client ----------------------------------------------------------------------


def _session(retry: Retry) -> requests.Session:
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class ChorusClient:
    """One environment (qualification or production) with its credentials.

    ``clock`` (monotonic seconds) decides when the cached token is too old; tests move it.
    """

    def __init__(
        self,
        *,
        endpoints: Endpoints,
        credentials: Credentials,
        timeout: tuple[float, float] = (5.0, 30.0),
        retries: int = 3,
        backoff: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.endpoints = endpoints
        self.credentials = credentials
        self.timeout = timeout
        self.clock = clock
        self.attempts: list[str] = []  # the paths actually sent, in order (for reports and tests)
        common = {
            "backoff_factor": backoff,
            "allowed_methods": None,
            "raise_on_status": False,
            "respect_retry_after_header": True,
        }
        # Harmless to repeat: network errors and 5xx answers.
        self._retrying = _session(
            Retry(
                total=retries,
                connect=retries,
                read=retries,
                other=0,
                status=retries,
                status_forcelist=RETRY_STATUSES,
                **common,
            )
        )
        # soumettre: only a connection that could not be opened is tried again.
        self._once = _session(Retry(total=retries, connect=retries, read=0, other=0, status=0, **common))

    # --- PISTE token ---

    def token(self) -> str:
        """The bearer token, from the cache while it has more than a minute (a tenth of a short life) left."""
        missing = self.credentials.missing()
        if missing:
            raise ChorusError("config", "Identifiants absents : " + ", ".join(missing) + ".")
        key = _cache_key(self.endpoints.token_url, self.credentials)
        with _tokens_lock:
            cached = _tokens.get(key)
        if cached and cached[1] > self.clock():
            return cached[0]
        token, lifetime = self._token_request()
        margin = min(60.0, lifetime / 10)
        with _tokens_lock:
            _tokens[key] = (token, self.clock() + lifetime - margin)
        return token

    def token_forget(self) -> None:
        with _tokens_lock:
            _tokens.pop(_cache_key(self.endpoints.token_url, self.credentials), None)

    def _token_request(self) -> tuple[str, float]:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.credentials.client_id,
            "client_secret": self.credentials.client_secret,
            "scope": "openid",
        }
        response = self._send(self._retrying, "POST", self.endpoints.token_url, TOKEN_PATH, data=form)
        if response.status_code in (400, 401):
            body = _json_or_empty(response)
            error = str(body.get("error", "")) if isinstance(body, dict) else ""
            description = str(body.get("error_description", "")) if isinstance(body, dict) else ""
            raise ChorusError(
                "credentials",
                f"PISTE refuse les identifiants de l'application (HTTP {response.status_code}"
                + (f", {error}" if error else "")
                + (f" : {description}" if description else "")
                + ").",
                status=response.status_code,
                code=error,
                libelle=description,
                path=TOKEN_PATH,
            )
        self._raise_for_http(response, TOKEN_PATH)
        body = _json_or_empty(response)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not token:
            raise ChorusError(
                "protocol", "PISTE n'a pas renvoyé de jeton d'accès.", status=response.status_code, path=TOKEN_PATH
            )
        try:
            lifetime = float(body.get("expires_in", 3600))
        except (TypeError, ValueError):
            lifetime = 3600.0
        logger.info("choruspro token obtained lifetime=%ss", int(lifetime))
        return str(token), max(lifetime, 1.0)

    # --- HTTP ---

    def _send(self, session: requests.Session, method: str, url: str, path: str, **kwargs) -> requests.Response:
        self.attempts.append(path)
        started = time.monotonic()
        try:
            response = session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.exceptions.RequestException as exc:
            logger.warning("choruspro %s %s no answer (%s)", method, path, type(exc).__name__)
            raise ChorusError(
                "network", "Chorus Pro (PISTE) ne répond pas : le réseau ou le service est indisponible.", path=path
            ) from None
        retries = getattr(getattr(response.raw, "retries", None), "history", ()) or ()
        logger.info(
            "choruspro %s %s → %s in %.0f ms (%d retries)",
            method,
            path,
            response.status_code,
            (time.monotonic() - started) * 1000,
            len(retries),
        )
        return response

    def _call(self, method: str, path: str, payload: dict | None = None, *, retry: bool = True) -> dict:
        session = self._retrying if retry else self._once
        for renewed in (False, True):
            headers = {
                "Authorization": f"Bearer {self.token()}",
                "cpro-account": self.credentials.cpro_account,
                "Accept": "application/json",
            }
            kwargs: dict[str, Any] = {"headers": headers}
            if method == "POST":
                headers["Content-Type"] = JSON_TYPE
                kwargs["data"] = dumps_exact(payload or {}).encode("utf-8")
            response = self._send(session, method, self.endpoints.url(path), path, **kwargs)
            if response.status_code == 401 and not renewed:
                self.token_forget()  # expired or revoked early: one new token, one more try
                continue
            break
        self._raise_for_http(response, path)
        body = _json_or_empty(response)
        if not isinstance(body, dict):
            raise ChorusError(
                "protocol", "Réponse de Chorus Pro illisible (JSON attendu).", status=response.status_code, path=path
            )
        code = body.get("codeRetour", 0)
        if code not in (0, "0", None):
            libelle = str(body.get("libelle", "")).strip()
            raise ChorusError(
                "refused",
                libelle or f"Refus de Chorus Pro (code {code}).",
                status=response.status_code,
                code=code,
                libelle=libelle,
                path=path,
            )
        return body

    @staticmethod
    def _raise_for_http(response: requests.Response, path: str) -> None:
        status = response.status_code
        if status < 300:
            return
        body = _json_or_empty(response)
        libelle = (
            str(body.get("libelle", "") or body.get("error_description", "") or body.get("message", ""))
            if isinstance(body, dict)
            else ""
        )
        code = body.get("codeRetour", body.get("error")) if isinstance(body, dict) else None
        kinds = {
            401: ("unauthorized", "Accès refusé (HTTP 401)"),
            403: ("forbidden", "Accès interdit (HTTP 403)"),
            500: ("maintenance", "Chorus Pro est en maintenance (HTTP 500)"),
        }
        if status in kinds:
            kind, text = kinds[status]
        elif status in (502, 503, 504):
            kind, text = "unavailable", f"Chorus Pro est indisponible (HTTP {status})"
        elif status == 400:
            kind, text = "refused", "Demande refusée par Chorus Pro (HTTP 400)"
        else:
            kind, text = "protocol", f"Réponse inattendue de Chorus Pro (HTTP {status})"
        raise ChorusError(
            kind, f"{text}{' : ' + libelle if libelle else '.'}", status=status, code=code, libelle=libelle, path=path
        )

    # --- The calls ---

    def health_check(self) -> dict:
        return self._call("GET", "/cpro/transverses/v1/health-check")

    def structures_for_user(self) -> dict:
        """The structures the technical user is attached to (its rights)."""
        return self._call("POST", "/cpro/transverses/v1/recuperer/structuresPourUtilisateur", {})

    def supplier_structures(self) -> dict:
        """Our own active supplier structures → idFournisseur (idStructureCPP)."""
        return self._call("POST", "/cpro/transverses/v1/recuperer/structures/actives/fournisseur", {})

    def services_search(self, *, structure_id: int) -> dict:
        return self._call("POST", "/cpro/structures/v1/rechercher/services", {"idStructure": int(structure_id)})

    def bank_details(self, *, structure_id: int) -> dict:
        return self._call(
            "POST", "/cpro/transverses/v1/recuperer/coordbanc/valides", {"idStructure": int(structure_id)}
        )

    def structure_search(self, *, siret: str) -> dict:
        payload = {"structure": {"identifiantStructure": siret, "typeIdentifiantStructure": "SIRET"}}
        return self._call("POST", "/cpro/structures/v1/rechercher", payload)

    def structure_get(self, *, structure_id: int) -> dict:
        return self._call(
            "POST", "/cpro/structures/v1/consulter", {"idStructureCPP": int(structure_id), "codeLangue": "fr"}
        )

    def pdf_deposit(self, *, pdf: bytes, filename: str) -> dict:
        if len(pdf) > MAX_PDF_BYTES:
            raise ChorusError("refused", f"Le PDF fait {len(pdf)} octets : Chorus Pro en accepte 10 Mo au plus.")
        payload = {
            "idUtilisateurCourant": 0,
            # One line, no line breaks: Chorus Pro misreads base64 with CR/LF in it.
            "fichierFacture": base64.b64encode(pdf).decode("ascii"),
            "nomFichier": filename,
            "formatDepot": "PDF_NON_SIGNE",
        }
        return self._call("POST", "/cpro/factures/v1/deposer/pdf", payload)

    def invoice_submit(self, payload: dict) -> dict:
        # Not repeated after the request may have arrived: a second soumettre would be refused
        # as a duplicate number at best.
        return self._call("POST", "/cpro/factures/v1/soumettre", payload, retry=False)

    def invoice_history(self, *, invoice_id: int) -> dict:
        return self._call("POST", "/cpro/factures/v1/consulter/historique", {"idFacture": int(invoice_id)})

    def invoices_search(self, **criteria) -> dict:
        return self._call("POST", "/cpro/factures/v1/rechercher/fournisseur", dict(criteria))


def _json_or_empty(response: requests.Response):
    try:
        return response.json(parse_float=Decimal)
    except ValueError:
        return {}
