"""PES V2 Recette files (XML ``PES_Aller``), streamed piece by piece with lxml.

Structure read (annex 5; elements matched on their local names, so the file may use
a namespace prefix, a default namespace or none; values are in ``V`` attributes;
names of the value elements are matched without regard to case, the annex itself
writes both "MtHT" and "MtHt"):

    PES_Aller / PES_RecetteAller / Bordereau
        BlocBordereau: Exer, IdBord, TypBord, DteBord (or DteBordEm), DteAsp
        Piece
            BlocPiece (directly or in InfoPce): IdPce, TypPce, NatPce, ObjPce, DteAsp
            LigneDePiece (one or more)
                BlocLignePiece / InfoLignePiece: IdLigne, ObjLignePce, MtHT, MtTVA
                Tiers / InfoTiers: RefTiers, IdTiers, NatIdTiers, CatTiers, NatJur,
                                   TypTiers, Civilite, Nom, Prenom, ComplNom
                Tiers / Adresse:   TypAdr, Adr1, Adr2, Adr3, CP (or Cp, CodPostal), Ville

REFDET parts: Exer (4) + IdPce (8) + IdLigne (6), numbers zero-padded. Grouping
(annex 4), decided per piece from its lines' debtors:

* one debtor (mono-débiteur, mono- or multi-imputation): one debt on IdLigne
  ``000001``, the amounts of all lines summed;
* several debtors: one debt per debtor on the debtor's first (lowest) IdLigne, the
  amounts of their lines summed. With one line per debtor (multi-débiteur
  mono-imputation) that is one debt per line on its own IdLigne; with several
  (multi-débiteur multi-imputation) it is the "IdLigne de regroupement" of annex 4.

Debtors are told apart by RefTiers, else IdTiers, else name and address.

Amount of a line: MtHT, plus MtTVA when MtTVA is given (annex 4). Decimals are read
exactly (Decimal, never float) with a dot (xs:decimal) or a comma (the annex's own
examples write "19,6"); more than two significant decimals is an error.

Dates (DteAsp, DteBord) are ``AAAA-MM-JJ`` (xs:date, what real files carry) or
``AAAAMMJJ`` (what the annex prints). ``issued_on`` is the piece's DteAsp, else the
bordereau's DteAsp, else DteBord.

A bordereau of TypBord 02 (annulation/réduction) reduces earlier titres: its pieces
are not debts to pay and are each reported instead of imported. Pieces outside
``PES_RecetteAller`` (a ``PES_DepenseAller`` in the same envelope) are ignored.

Safety: the file is refused before anything is yielded if it has a DOCTYPE (hence
any entity declaration: the "billion laughs" bomb is refused after reading its
first bytes), if it is not XML, or if its root is not ``PES_Aller``. The parser
never resolves entities, loads a DTD or touches the network, and keeps libxml2's
size limits (huge_tree off). Each piece is cleared once read, with the siblings
before it, so memory stays flat however many pieces the file holds.

Encoding: a declared encoding is honoured, except that a file declared ISO-8859-1
containing bytes 0x80-0x9F is read as Windows-1252 (those bytes are control codes in
ISO-8859-1 but "€", "’", "Œ" in Windows-1252: the file was written by Windows
software; browsers do the same). A file declared UTF-8 that is not valid UTF-8 is
refused. Without a declaration (Windows software often writes none) the encoding is
decided from the bytes like the fixed-width files (``encoding`` module): UTF-8 if
valid, else Windows-1252 or ISO-8859-15 from the evidence, else refused.
"""

from __future__ import annotations

import codecs
import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from lxml import etree

from .base import (
    DebtRecord,
    ImportFileError,
    LineError,
    ValueProblem,
    as_public_body,
    decimal_to_cents,
    exercice,
    join_address,
    join_words,
    numeric_id,
    yyyymmdd,
)
from .encoding import CP1252_UNDEFINED, check_codec, decide, encoding_label, rewindable, scan

__all__ = ["PUBLIC_BODY_FIELDS", "parse"]

# InfoTiers values passed on as hints about the debtor's legal nature (a public
# body is invoiced through Chorus Pro rather than sent an ASAP).
PUBLIC_BODY_FIELDS = ("NatIdTiers", "IdTiers", "CatTiers", "NatJur", "TypTiers")
FIRST_LINE = "000001"
TYPBORD_ANNULATION = "02"

# The prolog (declaration, comments, DOCTYPE) must end within this many bytes.
_PROLOG_LIMIT = 1 << 20
_READ_SIZE = 64 * 1024
_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")
# Names libxml2 knows, for the codecs Python calls otherwise.
_LIBXML_NAMES = {"cp1252": "windows-1252", "iso8859-15": "ISO-8859-15", "iso8859-1": "ISO-8859-1", "utf-8": "UTF-8"}
_PARSER_OPTIONS = {
    "resolve_entities": False,
    "load_dtd": False,
    "no_network": True,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
    "dtd_validation": False,
}


def _local(tag: object) -> str:
    """Local name of an element tag ("{ns}Piece" → "Piece")."""
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _child(element: etree._Element | None, name: str) -> etree._Element | None:
    """First child with the given local name."""
    if element is None:
        return None
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


# Tag → lower-cased local name. A PES file uses a few dozen tags, looked up millions
# of times: a plain dict saves the string work (bounded: tags the schema allows).
_KEYS: dict[str, str] = {}
_MAX_KEYS = 4096


def _values(element: etree._Element | None) -> dict[str, str]:
    """The ``V`` attributes under an element, by lower-cased local name (first wins)."""
    found: dict[str, str] = {}
    if element is None:
        return found
    keys = _KEYS
    for node in element.iter():
        value = node.get("V")
        if value is not None:
            tag = node.tag
            key = keys.get(tag)
            if key is None:
                key = _local(tag).lower()
                if len(keys) < _MAX_KEYS:
                    keys[tag] = key
            found.setdefault(key, value)
    return found


# --- encoding and prolog ----------------------------------------------------------------


def _parser_encoding(stream: BinaryIO, forced: str | None) -> str | None:
    """The encoding lxml must use instead of the file's own idea, or None to let it be."""
    if forced is not None:
        name = check_codec(forced)
        return _LIBXML_NAMES.get(name, forced)
    start = stream.tell()
    head = stream.read(1024)
    stream.seek(start)
    evidence = scan(stream)
    stream.seek(start)
    if evidence.bom in ("UTF-16", "UTF-32") or evidence.has_nul:
        decide(evidence)  # raises with the right message
    declared = _DECLARATION.match(head.removeprefix(codecs.BOM_UTF8))
    if declared is None:
        codec = decide(evidence)
        return None if codec.startswith("utf-8") else _LIBXML_NAMES[codec]
    name = declared.group(1).decode("ascii")
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        raise ImportFileError(f"Encodage déclaré dans le fichier inconnu : « {name} ».") from None
    if canonical == "utf-8" and not evidence.valid_utf8:
        raise ImportFileError(
            "Le fichier se déclare en UTF-8 mais contient des caractères invalides en UTF-8 : il a sans doute "
            "été enregistré en Windows-1252 ou ISO-8859-15. Corrigez la déclaration encoding=… du fichier ou "
            "indiquez son encodage."
        )
    if canonical == "iso8859-1" and evidence.c1 and not evidence.c1 & CP1252_UNDEFINED:
        return "windows-1252"
    return None


_DOCTYPE_REFUSED = (
    "Fichier refusé : il contient une déclaration de type de document (DOCTYPE) ou d'entités, qu'un fichier "
    "PES n'a jamais et qui peut servir à saturer le serveur (attaque « billion laughs »)."
)


def _check_prolog(stream: BinaryIO, forced: str | None) -> None:
    """Refuse, from the first bytes, a file that is not a PES_Aller or has a DTD.

    Runs before the encoding scan so that a bomb is refused without reading the rest
    of the file. Unless the caller forced an encoding, the prolog is read as
    ISO-8859-1, which accepts every byte: an accent in a comment cannot make this
    check fail, and the names looked at (DOCTYPE, root) are ASCII.
    """
    start = stream.tell()
    head = stream.read(4)
    stream.seek(start)
    for bom, name in (
        (codecs.BOM_UTF32_LE, "UTF-32"),
        (codecs.BOM_UTF32_BE, "UTF-32"),
        (codecs.BOM_UTF16_LE, "UTF-16"),
        (codecs.BOM_UTF16_BE, "UTF-16"),
    ):
        if head.startswith(bom):
            raise ImportFileError(
                f"Fichier encodé en {name} : encodage non pris en charge. "
                "Enregistrez-le en UTF-8, ISO-8859-15 ou Windows-1252."
            )
    if head.startswith(codecs.BOM_UTF8):
        stream.read(len(codecs.BOM_UTF8))
    parser_encoding = _LIBXML_NAMES.get(check_codec(forced), forced) if forced else "ISO-8859-1"
    options = {**_PARSER_OPTIONS}
    options.pop("dtd_validation")
    parser = etree.XMLPullParser(events=("start",), encoding=parser_encoding, **options)
    fed = 0
    previous = b""
    try:
        while True:
            chunk = stream.read(_READ_SIZE)
            if not chunk:
                if not fed:
                    raise ImportFileError("Le fichier est vide.")
                parser.close()
                raise ImportFileError("Le fichier ne contient aucun élément XML.")
            # Looked for in the bytes before libxml2 sees them: an entity used in an
            # attribute value is expanded even with resolve_entities off.
            window = previous + chunk
            if b"<!DOCTYPE" in window or b"<!ENTITY" in window:
                raise ImportFileError(_DOCTYPE_REFUSED)
            previous = chunk[-16:]
            fed += len(chunk)
            parser.feed(chunk)
            for _event, element in parser.read_events():
                docinfo = element.getroottree().docinfo
                if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
                    raise ImportFileError(_DOCTYPE_REFUSED)
                if _local(element.tag) != "PES_Aller":
                    raise ImportFileError(
                        f"Ce fichier XML n'est pas un PES : son élément racine est « {_local(element.tag)} » "
                        "au lieu de « PES_Aller »."
                    )
                return
            if fed > _PROLOG_LIMIT:
                raise ImportFileError("Fichier refusé : aucun élément XML dans son premier mégaoctet.")
    except etree.XMLSyntaxError as exc:
        raise ImportFileError(_syntax_message(exc, parser_encoding)) from None
    finally:
        stream.seek(start)


def _syntax_message(exc: etree.XMLSyntaxError, parser_encoding: str | None) -> str:
    """A French message for a libxml2 syntax error (its own text is kept for support)."""
    detail = str(exc.msg or exc).strip()
    where = f" ligne {exc.lineno}" if getattr(exc, "lineno", None) else ""
    if "encoding" in detail.lower() or "bytes" in detail.lower():
        read_as = f" (lu en {encoding_label(parser_encoding)})" if parser_encoding else ""
        return (
            f"Caractères invalides pour l'encodage du fichier{read_as}{where} : vérifiez la déclaration "
            f"encoding=… ou indiquez l'encodage. Détail : {detail}"
        )
    return f"Ce fichier n'est pas un XML bien formé{where}. Détail : {detail}"


# --- the pieces -------------------------------------------------------------------------


@dataclass(slots=True)
class _Bordereau:
    """What the pieces of a bordereau need from its BlocBordereau."""

    exer: str | None
    problems: list[tuple[str, str, str]]  # (field, value, message) reported on every piece
    typbord: str
    dteasp: object
    dtebord: object


def _read_bordereau(bloc: etree._Element) -> _Bordereau:
    """Read and check a BlocBordereau."""
    values = _values(bloc)
    problems: list[tuple[str, str, str]] = []
    raw_exer = values.get("exer", "")
    exer = exercice(raw_exer, "Exercice du bordereau (Exer)")
    if isinstance(exer, ValueProblem):
        problems.append(("Exer", raw_exer.strip(), exer.message))
        exer = None
    dates = {}
    for name, key in (("DteAsp", "dteasp"), ("DteBord", "dtebord"), ("DteBordEm", "dtebordem")):
        raw = values.get(key, "")
        parsed = yyyymmdd(raw, f"Date du bordereau ({name})")
        if isinstance(parsed, ValueProblem):
            problems.append((name, raw.strip(), parsed.message))
            parsed = None
        dates[key] = parsed
    return _Bordereau(
        exer=exer,
        problems=problems,
        typbord=values.get("typbord", "").strip(),
        dteasp=dates["dteasp"],
        dtebord=dates["dtebord"] or dates["dtebordem"],
    )


@dataclass(slots=True)
class _Line:
    """One LigneDePiece, read and checked."""

    element: etree._Element
    index: int
    idligne: str | None
    amount: int | None
    debtor: tuple
    tiers: dict[str, str]
    address: dict[str, str]
    label: str
    errors: list[tuple[str, str, str]]


def _address(tiers: etree._Element | None) -> dict[str, str]:
    """The debtor's address: the principal one (TypAdr 1) if several are given."""
    if tiers is None:
        return {}
    addresses = [child for child in tiers if _local(child.tag) == "Adresse"]
    for candidate in addresses:
        values = _values(candidate)
        if values.get("typadr", "").strip() == "1":
            return values
    return _values(addresses[0]) if addresses else {}


def _read_line(element: etree._Element, index: int) -> _Line:
    """Read one LigneDePiece: its IdLigne, amount, debtor."""
    values = _values(_child(element, "BlocLignePiece"))
    tiers_element = _child(element, "Tiers")
    tiers = _values(_child(tiers_element, "InfoTiers"))
    address = _address(tiers_element)
    errors: list[tuple[str, str, str]] = []

    raw_id = values.get("idligne", "")
    idligne = numeric_id(raw_id, 6, "Numéro de ligne (IdLigne)")
    if isinstance(idligne, ValueProblem):
        errors.append(("IdLigne", raw_id.strip(), idligne.message))
        idligne = None

    raw_ht = values.get("mtht", "")
    amount = decimal_to_cents(raw_ht, "Montant HT (MtHT)")
    if isinstance(amount, ValueProblem):
        errors.append(("MtHT", raw_ht.strip(), amount.message))
        amount = None
    raw_tva = values.get("mttva", "").strip()
    if raw_tva:
        tva = decimal_to_cents(raw_tva, "Montant TVA (MtTVA)")
        if isinstance(tva, ValueProblem):
            errors.append(("MtTVA", raw_tva, tva.message))
            amount = None
        elif amount is not None:
            amount += tva

    ref = tiers.get("reftiers", "").strip()
    ident = tiers.get("idtiers", "").strip()
    if ref:
        debtor: tuple = ("RefTiers", ref)
    elif ident:
        debtor = ("IdTiers", ident)
    else:
        debtor = (
            "Nom",
            *(join_words(tiers.get(k, "")).upper() for k in ("nom", "prenom", "complnom")),
            *(join_words(address.get(k, "")).upper() for k in ("adr1", "adr2", "adr3", "cp", "ville")),
        )
    return _Line(
        element, index, idligne, amount, debtor, tiers, address, join_words(values.get("objlignepce", "")), errors
    )


def _name(tiers: dict[str, str]) -> str:
    """Civilite Nom Prenom, then ComplNom."""
    return join_words(*(tiers.get(k, "") for k in ("civilite", "nom", "prenom", "complnom")))


def _address_text(address: dict[str, str]) -> str:
    """Adr1..Adr3 then "CP Ville", one per line."""
    postcode = address.get("cp") or address.get("codpostal") or ""
    return join_address(
        [address.get("adr1"), address.get("adr2"), address.get("adr3"), join_words(postcode, address.get("ville", ""))]
    )


def _serialise(piece: etree._Element, bloc: etree._Element | None, lines: list[_Line] | None) -> str:
    """Compact XML of the piece, or of its BlocPiece and the given lines only."""
    if lines is None:
        return etree.tostring(piece, encoding="unicode", with_tail=False)
    part = etree.Element(piece.tag, nsmap=piece.nsmap)
    if bloc is not None:
        part.append(copy.deepcopy(bloc))
    for line in lines:
        part.append(copy.deepcopy(line.element))
    return etree.tostring(part, encoding="unicode", with_tail=False)


def _read_piece(position: int, piece: etree._Element, bord: _Bordereau | None) -> Iterator[DebtRecord | LineError]:
    """Check one piece and yield its debts, grouped per annex 4, or its errors."""
    bloc = _child(piece, "BlocPiece")
    values = _values(bloc)
    raw_id = values.get("idpce", "")
    idpce = numeric_id(raw_id, 8, "Identifiant de pièce (IdPce)")
    piece_id = idpce if isinstance(idpce, str) else (raw_id.strip() or None)

    def error(field: str, value: str, message: str) -> LineError:
        return LineError(position, field, value, message, piece_id)

    problems: list[LineError] = []
    if isinstance(idpce, ValueProblem):
        problems.append(error("IdPce", raw_id.strip(), idpce.message))
    if bord is None:
        problems.append(
            error("BlocBordereau", "", "Pièce hors bordereau ou avant le bloc BlocBordereau : exercice inconnu")
        )
    else:
        problems.extend(error(*problem) for problem in bord.problems)
        if bord.typbord == TYPBORD_ANNULATION:
            problems.append(
                error(
                    "TypBord",
                    bord.typbord,
                    "Pièce d'un bordereau d'annulation/réduction (TypBord 02) : ce n'est pas une dette à payer, "
                    "elle n'est pas importée ; réduisez ou annulez le titre d'origine",
                )
            )
    raw_asp = values.get("dteasp", "")
    dteasp = yyyymmdd(raw_asp, "Date de l'avis (DteAsp)")
    if isinstance(dteasp, ValueProblem):
        problems.append(error("DteAsp", raw_asp.strip(), dteasp.message))
    elements = [child for child in piece if _local(child.tag) == "LigneDePiece"]
    if not elements:
        problems.append(error("LigneDePiece", "", "Pièce sans ligne (LigneDePiece)"))
    if problems:
        yield from problems
        return
    assert isinstance(idpce, str) and bord is not None and bord.exer is not None

    lines = [_read_line(element, index) for index, element in enumerate(elements, 1)]
    debtors: dict[tuple, list[_Line]] = {}
    seen_ids: set[str] = set()
    for line in lines:
        if line.idligne is not None:
            if line.idligne in seen_ids:
                line.errors.append(("IdLigne", line.idligne, "Numéro de ligne (IdLigne) en double dans la pièce"))
            seen_ids.add(line.idligne)
        debtors.setdefault(line.debtor, []).append(line)
        for field, value, message in line.errors:
            yield error(field, value, f"Ligne de pièce {line.index} : {message}")

    issued = dteasp or bord.dteasp or bord.dtebord
    piece_label = join_words(values.get("objpce", ""))
    mono = len(debtors) == 1
    for own in debtors.values():
        first = own[0]
        if any(line.errors for line in own):
            good = [line.index for line in own if not line.errors]
            if good:
                what = "Pièce" if mono else f"Dette du débiteur « {_name(first.tiers) or '?'} »"
                yield error("LigneDePiece", "", f"{what} non importée : une autre de ses lignes est en erreur")
            continue
        amount = sum(line.amount or 0 for line in own)
        idligne = FIRST_LINE if mono else min(line.idligne or "" for line in own)
        if amount == 0:
            yield error("MtHT", "0", f"Montant nul (ligne {idligne}) : rien à payer")
            continue
        yield DebtRecord(
            line_no=position,
            ref_parts={"exer": bord.exer, "idpce": idpce, "idligne": idligne},
            amount_cents=amount,
            debtor_ref=first.tiers.get("reftiers", "").strip(),
            debtor_name=_name(first.tiers),
            debtor_address=_address_text(first.address),
            label=piece_label or first.label,
            issued_on=issued,
            taken_in_charge_on=None,
            raw=_serialise(piece, bloc, None if mono else own),
            public_body=as_public_body({name: first.tiers.get(name.lower(), "") for name in PUBLIC_BODY_FIELDS}),
            piece_id=idpce,
        )


def parse(source: BinaryIO, *, encoding: str | None = None) -> Iterator[DebtRecord | LineError]:
    """Parse a PES V2 Recette file, yielding DebtRecords and LineErrors piece by piece.

    ``line_no`` is the piece's position (1-based, over the recette pieces of the
    file) and ``piece_id`` its IdPce. ``encoding`` overrides the file's declaration.
    Raises ImportFileError for a file that is not a PES V2 Recette, has a DTD, is
    not well-formed XML, or whose encoding cannot be settled.
    """
    stream = rewindable(source)
    try:
        yield from _parse(stream, encoding)
    finally:
        if stream is not source:
            stream.close()


def _parse(stream: BinaryIO, forced: str | None) -> Iterator[DebtRecord | LineError]:
    """The body of ``parse`` over a seekable stream."""
    _check_prolog(stream, forced)
    parser_encoding = _parser_encoding(stream, forced)
    events = etree.iterparse(
        stream,
        events=("end",),
        tag=("{*}BlocBordereau", "{*}Piece", "{*}Bordereau"),
        encoding=parser_encoding,
        remove_blank_text=True,
        **_PARSER_OPTIONS,
    )
    bord: _Bordereau | None = None
    position = 0
    recette = False
    try:
        for _event, element in events:
            name = _local(element.tag)
            parent = element.getparent()
            if name == "BlocBordereau":
                in_recette = (
                    parent is not None
                    and _local(parent.tag) == "Bordereau"
                    and _local(getattr(parent.getparent(), "tag", "")) == "PES_RecetteAller"
                )
                bord = _read_bordereau(element) if in_recette else None
                continue
            if name == "Piece":
                grand = parent.getparent() if parent is not None else None
                if grand is not None and _local(grand.tag) == "PES_RecetteAller":
                    recette = True
                    position += 1
                    yield from _read_piece(position, element, bord)
            else:  # Bordereau: its pieces are done
                bord = None
                if parent is not None and _local(parent.tag) == "PES_RecetteAller":
                    recette = True
            # Free what is read: the element and everything before it at its level.
            element.clear(keep_tail=False)
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as exc:
        raise ImportFileError(_syntax_message(exc, parser_encoding)) from None
    if not recette:
        raise ImportFileError(
            "Ce fichier PES ne contient aucun bordereau de recette (PES_RecetteAller / Bordereau) : "
            "ce n'est pas un PES V2 Recette."
        )
