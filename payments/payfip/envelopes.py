"""SOAP 1.1 envelopes of PayFiP's service, built and read with lxml (both sides: client and sandbox).

Document/literal: the Body holds one wrapper element in the service namespace, which holds one
unqualified ``<arg0>`` (requests) or ``<return>`` (answers) whose leaves are unqualified strings.
Faults are ``S:Fault`` with a ``detail`` holding one of the four ``…Erreur`` elements.

Reading is defensive: no DTD (refused), no entity expanded, no network, lxml's size limits kept;
leaves that are not plain text, or given twice, make the message unreadable; unknown leaves are
ignored (PayFiP may add fields).
"""

from __future__ import annotations

from collections.abc import Mapping

from lxml import etree

from .errors import PayfipFault, PayfipUnavailable
from .names import (
    FAULT_CLASS_PREFIX,
    FAULT_FIELDS,
    FAULT_TYPES,
    FUNCTIONAL_FAULT,
    OPERATIONS,
    SERVICE_NS,
    SOAP_ENV,
)

_ENVELOPE = f"{{{SOAP_ENV}}}Envelope"
_BODY = f"{{{SOAP_ENV}}}Body"
_FAULT = f"{{{SOAP_ENV}}}Fault"
_SHOWN = 60  # characters of a bad value quoted in an error


class MalformedMessage(ValueError):
    """A message that is not a PayFiP SOAP envelope of the expected shape."""


def _envelope(payload: etree._Element, prefix: str) -> bytes:
    envelope = etree.Element(_ENVELOPE, nsmap={prefix: SOAP_ENV})
    etree.SubElement(envelope, _BODY).append(payload)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def _wrapper(name: str, holder: str, fields: Mapping[str, str], prefix: str) -> etree._Element:
    wrapper = etree.Element(f"{{{SERVICE_NS}}}{name}", nsmap={prefix: SERVICE_NS})
    inner = etree.SubElement(wrapper, holder)
    for key, value in fields.items():
        etree.SubElement(inner, key).text = value
    return wrapper


def request_envelope(operation: str, fields: Mapping[str, str]) -> bytes:
    """The request of ``operation`` with its ``<arg0>`` leaves, in the order given."""
    return _envelope(_wrapper(operation, "arg0", fields, "ns0"), "soapenv")


def response_envelope(operation: str, fields: Mapping[str, str]) -> bytes:
    """The answer of ``operation`` (``<operation>Response`` holding ``<return>``), as JAX-WS writes it."""
    return _envelope(_wrapper(f"{operation}Response", "return", fields, "ns2"), "S")


def fault_envelope(fault_type: str, code: str, libelle: str, *, descriptif: str = "", severite: str = "2") -> bytes:
    """A fault of one of the four types (``FonctionnelleErreur``…), sent with HTTP 500."""
    fault = etree.Element(_FAULT, nsmap={"S": SOAP_ENV})
    etree.SubElement(fault, "faultcode").text = "S:Server"
    etree.SubElement(fault, "faultstring").text = FAULT_CLASS_PREFIX + fault_type
    detail = etree.SubElement(
        etree.SubElement(fault, "detail"), f"{{{SERVICE_NS}}}{fault_type}", nsmap={"ns2": SERVICE_NS}
    )
    for key, value in (("code", code), ("descriptif", descriptif), ("libelle", libelle), ("severite", severite)):
        etree.SubElement(detail, key).text = value
    return _envelope(fault, "S")


def client_fault_envelope(faultstring: str) -> bytes:
    """The SOAP fault JAX-WS answers to a request it cannot read (``S:Client``), HTTP 500."""
    fault = etree.Element(_FAULT, nsmap={"S": SOAP_ENV})
    etree.SubElement(fault, "faultcode").text = "S:Client"
    etree.SubElement(fault, "faultstring").text = faultstring
    return _envelope(fault, "S")


def _parse(body: bytes) -> etree._Element:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True, remove_pis=True
    )
    try:
        root = etree.fromstring(body, parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise MalformedMessage(f"XML illisible : {str(exc)[:_SHOWN]}") from None
    if root.getroottree().docinfo.doctype:
        raise MalformedMessage("une DTD n'a rien à faire dans un message SOAP")
    return root


def _children(element: etree._Element) -> list[etree._Element]:
    return [child for child in element if isinstance(child.tag, str)]


def _only_child(element: etree._Element, what: str) -> etree._Element:
    children = _children(element)
    if len(children) != 1:
        raise MalformedMessage(f"{what} : un seul élément attendu, {len(children)} reçus")
    return children[0]


def _body_payload(body: bytes) -> etree._Element:
    root = _parse(body)
    if root.tag != _ENVELOPE:
        raise MalformedMessage(f"pas une enveloppe SOAP 1.1 : {str(root.tag)[:_SHOWN]}")
    bodies = [child for child in _children(root) if child.tag == _BODY]
    if len(bodies) != 1:
        raise MalformedMessage("l'enveloppe doit avoir un seul Body")
    return _only_child(bodies[0], "Body")


def _leaves(holder: etree._Element) -> dict[str, str]:
    """The unqualified text leaves of ``<arg0>``/``<return>``/a fault; qualified ones are skipped."""
    leaves: dict[str, str] = {}
    for child in _children(holder):
        name = child.tag
        if name.startswith("{"):
            continue
        if _children(child):
            raise MalformedMessage(f"<{name[:_SHOWN]}> n'est pas une valeur simple")
        if name in leaves:
            raise MalformedMessage(f"<{name[:_SHOWN]}> donné deux fois")
        leaves[name] = child.text or ""
    return leaves


def _holder(wrapper: etree._Element, name: str) -> etree._Element:
    holders = [child for child in _children(wrapper) if child.tag == name]
    if len(holders) != 1:
        raise MalformedMessage(f"<{name}> non qualifié attendu une fois, {len(holders)} reçus")
    return holders[0]


def read_request(body: bytes) -> tuple[str, dict[str, str]]:
    """(operation, leaves of ``<arg0>``) of a request; MalformedMessage if it is not one of the three."""
    wrapper = _body_payload(body)
    qname = etree.QName(wrapper)
    if qname.namespace != SERVICE_NS or qname.localname not in OPERATIONS:
        raise MalformedMessage(f"opération inconnue : {qname.localname[:_SHOWN]}")
    return qname.localname, _leaves(_holder(wrapper, "arg0"))


def _fault_error(fault: etree._Element) -> PayfipFault | PayfipUnavailable:
    parts = {etree.QName(child).localname: child for child in _children(fault)}
    faultstring = (parts["faultstring"].text or "") if "faultstring" in parts else ""
    detail = parts.get("detail")
    errors = (
        [child for child in _children(detail) if etree.QName(child).localname in FAULT_TYPES]
        if detail is not None
        else []
    )
    if len(errors) != 1:
        return PayfipUnavailable(f"faute SOAP sans détail PayFiP : {faultstring[:_SHOWN]!r}")
    fault_type = etree.QName(errors[0]).localname
    leaves = _leaves(errors[0])
    info = {key: leaves.get(key, "") for key in FAULT_FIELDS}
    code = info["code"].strip()
    if fault_type != FUNCTIONAL_FAULT:
        return PayfipUnavailable(
            f"{fault_type} {code} : {info['libelle'].strip()[:_SHOWN]}", fault_type=fault_type, code=code
        )
    if not (code.isascii() and code.isalnum() and len(code) <= 10):
        return PayfipUnavailable(f"FonctionnelleErreur sans code lisible : {code[:_SHOWN]!r}", fault_type=fault_type)
    return PayfipFault(
        code, info["libelle"] or info["message"], descriptif=info["descriptif"], severite=info["severite"]
    )


def read_answer(operation: str, status: int, body: bytes) -> dict[str, str]:
    """The leaves of ``<return>`` of a 200 answer to ``operation``.

    Raises PayfipFault for a ``FonctionnelleErreur`` (whatever the HTTP status, 500 expected) and
    PayfipUnavailable for a technical fault or anything that is not the expected answer.
    """
    try:
        payload = _body_payload(body)
        if payload.tag == _FAULT:
            raise _fault_error(payload)
        if status != 200:
            raise PayfipUnavailable(f"HTTP {status} sans faute SOAP")
        if payload.tag != f"{{{SERVICE_NS}}}{operation}Response":
            raise MalformedMessage(f"réponse inattendue : {str(payload.tag)[:_SHOWN]}")
        return _leaves(_holder(payload, "return"))
    except MalformedMessage as exc:
        raise PayfipUnavailable(f"HTTP {status}, réponse illisible : {exc}") from None
