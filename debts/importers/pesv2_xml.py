"""PES files as XML, before and under the pieces: the prolog check that refuses a DTD or a
file that is no ``PES_Aller`` from its first bytes, the encoding libxml2 must use, French
messages for libxml2's syntax errors, and the element helpers (local names, ``V`` values).

Safety and encoding rules: see ``pesv2``'s docstring.
"""

from __future__ import annotations

import codecs
import re
from typing import BinaryIO

from lxml import etree

from .base import ImportFileError
from .encoding import CP1252_UNDEFINED, check_codec, decide, encoding_label, scan

__all__ = [
    "PARSER_OPTIONS",
    "check_prolog",
    "check_root_ends",
    "declared_encoding",
    "first_child",
    "local_name",
    "lxml_encoding",
    "refuse_dtd",
    "syntax_message",
    "v_attributes",
]

# The prolog (declaration, comments, DOCTYPE) must end within this many bytes.
_PROLOG_LIMIT = 1 << 20
_READ_SIZE = 64 * 1024
_ROOT_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?PES_Aller\s*>\s*\Z")
_DECLARATION = re.compile(rb"^\s*<\?xml\s(.*?)\?>", re.DOTALL)
_ENCODING_NAME = re.compile(rb"\bencoding\s*=\s*([\"'])(.*?)\1", re.DOTALL)
# The encodings a PES file may have, by Python's canonical name, with the name libxml2 is given:
# PES's own ISO-8859-1 and UTF-8, and the two Windows software writes instead. Each keeps every
# ASCII byte for itself, so markup (a DOCTYPE included) is the same bytes whichever is right.
_LIBXML_NAMES = {"cp1252": "windows-1252", "iso8859-15": "ISO-8859-15", "iso8859-1": "ISO-8859-1", "utf-8": "UTF-8"}
_PES_ENCODINGS = "UTF-8, ISO-8859-1, ISO-8859-15 ou Windows-1252"
PARSER_OPTIONS = {
    "resolve_entities": False,
    "load_dtd": False,
    "no_network": True,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
    "dtd_validation": False,
}


def local_name(tag: object) -> str:
    """Local name of an element tag ("{ns}Piece" → "Piece")."""
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def first_child(element: etree._Element | None, name: str) -> etree._Element | None:
    """First child with the given local name."""
    if element is None:
        return None
    for child in element:
        if local_name(child.tag) == name:
            return child
    return None


# Tag → lower-cased local name. A PES file uses a few dozen tags, looked up millions
# of times: a plain dict saves the string work (bounded: tags the schema allows).
_KEYS: dict[str, str] = {}
_MAX_KEYS = 4096


def v_attributes(element: etree._Element | None) -> dict[str, str]:
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
                key = local_name(tag).lower()
                if len(keys) < _MAX_KEYS:
                    keys[tag] = key
            found.setdefault(key, value)
    return found


def declared_encoding(head: bytes) -> str | None:
    """The encoding named by the XML declaration at the start of ``head`` (BOM removed), or None."""
    declaration = _DECLARATION.match(head.removeprefix(codecs.BOM_UTF8))
    if declaration is None:
        return None
    name = _ENCODING_NAME.search(declaration.group(1))
    if name is None:
        if b"encoding" in declaration.group(1):
            raise ImportFileError(
                "Déclaration XML illisible : l'encodage (encoding=…) n'y est pas écrit entre guillemets."
            )
        return None
    return name.group(2).decode("latin-1")


def _pes_codec(name: str, *, declared: bool) -> str:
    """Python's canonical name of an encoding a PES file may have; anything else is refused.

    ASCII is one of them (every other one reads it alike): it is returned as "ascii".
    """
    if declared:
        try:
            canonical = codecs.lookup(name).name
        except (LookupError, ValueError):  # ValueError: a NUL in the name
            raise ImportFileError(f"Encodage déclaré dans le fichier inconnu : « {name} ».") from None
    else:
        canonical = check_codec(name)
    if canonical not in _LIBXML_NAMES and canonical != "ascii":
        where = "déclaré dans le fichier" if declared else "indiqué"
        raise ImportFileError(
            f"Encodage {where} (« {name} ») non pris en charge pour un fichier PES : il doit être en {_PES_ENCODINGS}."
        )
    return canonical


def lxml_encoding(stream: BinaryIO, forced: str | None) -> str:
    """The encoding libxml2 must read the file in, whatever its prolog says.

    Always a name: given None, libxml2 would follow the file's own declaration.
    """
    if forced is not None:
        codec = _pes_codec(forced, declared=False)
        return _LIBXML_NAMES.get(codec, "UTF-8")  # ASCII: read alike by all
    start = stream.tell()
    head = stream.read(1024)
    stream.seek(start)
    evidence = scan(stream)
    stream.seek(start)
    if evidence.bom in ("UTF-16", "UTF-32") or evidence.has_nul:
        decide(evidence)  # raises with the right message
    declared = declared_encoding(head)
    canonical = _pes_codec(declared, declared=True) if declared is not None else "ascii"
    if canonical == "ascii":  # undeclared, or declared ASCII: the bytes decide
        codec = decide(evidence)
        return "UTF-8" if codec.startswith("utf-8") else _LIBXML_NAMES[codec]
    if canonical == "utf-8" and not evidence.valid_utf8:
        raise ImportFileError(
            "Le fichier se déclare en UTF-8 mais contient des caractères invalides en UTF-8 : il a sans doute "
            "été enregistré en Windows-1252 ou ISO-8859-15. Corrigez la déclaration encoding=… du fichier ou "
            "indiquez son encodage."
        )
    if canonical == "iso8859-1" and evidence.c1 and not evidence.c1 & CP1252_UNDEFINED:
        return "windows-1252"
    return _LIBXML_NAMES[canonical]


_DOCTYPE_REFUSED = (
    "Fichier refusé : il contient une déclaration de type de document (DOCTYPE) ou d'entités, qu'un fichier "
    "PES n'a jamais et qui peut servir à saturer le serveur (attaque « billion laughs »)."
)


def refuse_dtd(element: etree._Element) -> None:
    """Refuse the document of ``element`` if it has a DOCTYPE (hence maybe entities)."""
    docinfo = element.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise ImportFileError(_DOCTYPE_REFUSED)


def check_prolog(stream: BinaryIO, forced: str | None) -> None:
    """Refuse, from the first bytes, a file that is not a PES_Aller, has a DTD, or names an
    encoding a PES file may not have (UTF-7 would hide a DOCTYPE from the byte check below).

    Runs before the encoding scan so that a bomb is refused without reading the rest
    of the file. Unless the caller forced an encoding, the prolog is read as
    ISO-8859-1, which accepts every byte: an accent in a comment cannot make this
    check fail, and the names looked at (DOCTYPE, root) are ASCII, the same bytes in
    every encoding the parse may then use (``lxml_encoding``).
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
    if forced is not None:
        parser_encoding = _LIBXML_NAMES.get(_pes_codec(forced, declared=False), "UTF-8")
    else:
        declared = declared_encoding(stream.read(1024))
        stream.seek(start)
        if declared is not None:
            _pes_codec(declared, declared=True)
        parser_encoding = "ISO-8859-1"
    if head.startswith(codecs.BOM_UTF8):
        stream.read(len(codecs.BOM_UTF8))
    options = {**PARSER_OPTIONS}
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
                refuse_dtd(element)
                if local_name(element.tag) != "PES_Aller":
                    raise ImportFileError(
                        f"Ce fichier XML n'est pas un PES : son élément racine est « {local_name(element.tag)} » "
                        "au lieu de « PES_Aller »."
                    )
                return
            if fed > _PROLOG_LIMIT:
                raise ImportFileError("Fichier refusé : aucun élément XML dans son premier mégaoctet.")
    except etree.XMLSyntaxError as exc:
        raise ImportFileError(syntax_message(exc, parser_encoding)) from None
    finally:
        stream.seek(start)


def syntax_message(exc: etree.XMLSyntaxError, parser_encoding: str | None) -> str:
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


def check_root_ends(tail: bytes) -> None:
    """Refuse a file whose last bytes (after attachments the parse skipped) are not the end tag of
    ``PES_Aller``: it was cut short. Every encoding a PES may have writes ASCII markup alike."""
    if _ROOT_END.search(tail) is None:
        raise ImportFileError(
            "Ce fichier n'est pas un XML bien formé : il ne se termine pas par </PES_Aller> après ses pièces "
            "jointes (PES_PJ) ; il a sans doute été tronqué. Détail : fin de fichier inattendue"
        )
