"""TIPI (DGFiP card payment of public debts): the protocol as pure Python.

Stdlib only, no Django: formats and controls of the URL aller (annexes 4, 6, 10),
REFDET composition per protocol, the annex-10 anomaly codes with their French
messages, test/activation values (annexes 6, 11) and a strict URL retour parser.
"""

from .activation import (
    ROLMRE_TEST_REFDET_AS_PRINTED,
    TEST_CARD_CVV,
    TEST_CARD_NUMBER,
    TEST_EXER,
    TEST_REFDET,
    test_url_params,
)
from .anomalies import ANOMALY_CODES, DEFAULT_FIELDS, RULES, Anomaly, make_anomaly
from .protocol import (
    MONTANT_MAX_EXCLUSIVE,
    MONTANT_MIN,
    PORTAL_PROTOCOLS,
    REFDET_PATTERNS,
    RESULTRANS_VALUES,
    SAISIES,
    TEST_SAISIES,
    Protocol,
    is_valid_mel,
    is_valid_montant_format,
    is_valid_numcli,
    is_valid_objet,
    is_valid_refdet,
    is_valid_urlcl,
    montant_block_code,
)
from .refdet import compose_refdet, refdet_as_printed
from .url_aller import (
    PARAM_ORDER,
    TEST_MONTANT,
    InvalidUrlAller,
    build_url_aller,
    check_url_aller,
    normalise_objet,
    url_aller_endpoint,
)
from .url_retour import (
    RETOUR_PARAM_ORDER,
    InvalidUrlRetour,
    UrlRetour,
    encode_url_retour,
    format_dattrans,
    parse_dattrans,
    parse_url_retour,
)

__all__ = [
    "ANOMALY_CODES",
    "DEFAULT_FIELDS",
    "MONTANT_MAX_EXCLUSIVE",
    "MONTANT_MIN",
    "PARAM_ORDER",
    "PORTAL_PROTOCOLS",
    "REFDET_PATTERNS",
    "RESULTRANS_VALUES",
    "RETOUR_PARAM_ORDER",
    "ROLMRE_TEST_REFDET_AS_PRINTED",
    "RULES",
    "SAISIES",
    "TEST_CARD_CVV",
    "TEST_CARD_NUMBER",
    "TEST_EXER",
    "TEST_MONTANT",
    "TEST_REFDET",
    "TEST_SAISIES",
    "Anomaly",
    "InvalidUrlAller",
    "InvalidUrlRetour",
    "Protocol",
    "UrlRetour",
    "build_url_aller",
    "check_url_aller",
    "compose_refdet",
    "encode_url_retour",
    "format_dattrans",
    "is_valid_mel",
    "is_valid_montant_format",
    "is_valid_numcli",
    "is_valid_objet",
    "is_valid_refdet",
    "is_valid_urlcl",
    "make_anomaly",
    "montant_block_code",
    "normalise_objet",
    "parse_dattrans",
    "parse_url_retour",
    "refdet_as_printed",
    "test_url_params",
    "url_aller_endpoint",
]
