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

Debtors are told apart by RefTiers, else IdTiers, else name and address. A LigneDePiece
without Tiers (the PES V2 schema makes it optional) owes for the piece's debtor: that of its
first line with a Tiers.

Amount of a line: MtHT, plus MtTVA when MtTVA is given (annex 4). Decimals are read
exactly (Decimal, never float) in every xs:decimal form ("12", "+12.50", "012.500", ".5",
"5.") or with a comma (the annex's own examples write "19,6"); more than two significant
decimals is an error.

Dates (DteAsp, DteBord) are ``AAAA-MM-JJ`` (xs:date, what real files carry) or
``AAAAMMJJ`` (what the annex prints). ``issued_on`` is the piece's DteAsp, else the
bordereau's DteAsp, else DteBord.

A bordereau of TypBord 02 (annulation/réduction) reduces earlier titres: its pieces
are not debts to pay and are each reported instead of imported. Pieces outside
``PES_RecetteAller`` (a ``PES_DepenseAller`` in the same envelope) are ignored.

Safety: the file is refused before anything is yielded if it has a DOCTYPE (hence
any entity declaration: the "billion laughs" bomb is refused after reading its
first bytes), if it is not XML, or if its root is not ``PES_Aller``; the parse itself
refuses a DTD again before reading any piece (libxml2 expands an internal entity used in
an attribute even with resolve_entities off). The parser never resolves entities, loads
a DTD or touches the network, and keeps libxml2's size limits (huge_tree off).

Memory: every element is cleared once read, whatever it is (with the siblings before it),
so memory stays flat however many pieces, or elements of any name, the file holds; only
the piece being read is kept whole. A file whose structure is not PES's is refused as the
parse meets it (``pesv2_guard``): an element other than BlocBordereau, Piece or Signature
in a recette Bordereau, nesting deeper than 32 levels, a piece of more than 200,000
elements, more than 16 MB read without an element to free (a huge piece, tag or text).
An attachment block (``PES_PJ``, which the schema puts after the recette block) is not
parsed: the rest of the file is read past with bounded memory and must end with the root's
end tag, so that an attachment of any size does not refuse a file whose debts are all read.

Encoding: a PES file is in UTF-8, ISO-8859-1, ISO-8859-15 or Windows-1252 (ASCII reads
alike in all four); a file declaring any other encoding, UTF-7 above all (its "+ADw-" is a
"<" that no byte check sees), is refused before parsing, and so is any other encoding forced
by the staff. libxml2 is always told the encoding decided here, never left to follow the
prolog. A declared encoding is honoured, except that a file declared ISO-8859-1
containing bytes 0x80-0x9F is read as Windows-1252 (those bytes are control codes in
ISO-8859-1 but "€", "’", "Œ" in Windows-1252: the file was written by Windows
software; browsers do the same). A file declared UTF-8 that is not valid UTF-8 is
refused. Without a declaration (Windows software often writes none) the encoding is
decided from the bytes like the fixed-width files (``encoding`` module): UTF-8 if
valid, else Windows-1252 or ISO-8859-15 from the evidence, else refused.

The XML side (prolog check, encoding, element helpers) is in ``pesv2_xml``; reading the
bordereaux and pieces and grouping their lines into debts, in ``pesv2_pieces``; the bounds
on a hostile file, in ``pesv2_guard``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from lxml import etree

from .base import DebtRecord, ImportFileError, LineError
from .encoding import rewindable
from .pesv2_guard import (
    BORDEREAU_CHILDREN,
    MAX_DEPTH,
    MAX_PIECE_ELEMENTS,
    GuardedReader,
    too_deep,
    too_many_elements,
    unexpected_in_bordereau,
)
from .pesv2_pieces import PUBLIC_BODY_FIELDS, Bordereau, read_bordereau, read_piece
from .pesv2_xml import (
    PARSER_OPTIONS,
    check_prolog,
    check_root_ends,
    local_name,
    lxml_encoding,
    refuse_dtd,
    syntax_message,
)

__all__ = ["PUBLIC_BODY_FIELDS", "parse"]


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
    """The body of ``parse`` over a seekable stream.

    Depths: 1 PES_Aller, 2 PES_RecetteAller (or what the parser ignores), 3 Bordereau, 4 its
    BlocBordereau and Piece, which are kept whole until they end, then read and freed. Every
    other element is freed at its end, whatever it is: the tree holds the open elements, one
    piece, and an emptied element per level.
    """
    check_prolog(stream, forced)
    parser_encoding = lxml_encoding(stream, forced)
    reader = GuardedReader(stream)
    events = etree.iterparse(
        reader, events=("start", "end"), encoding=parser_encoding, remove_blank_text=True, **PARSER_OPTIONS
    )
    bord: Bordereau | None = None
    position = 0  # recette pieces started so far
    depth = 0
    kept = False  # inside a BlocBordereau or Piece of the recette (depth 4 and below)
    held = 0  # elements started inside it
    in_recette = in_bordereau = recette = attachments = False
    try:
        for event, element in events:
            if event == "start":
                depth += 1
                if depth > MAX_DEPTH:
                    raise too_deep(position)
                if kept:
                    held += 1
                    if held > MAX_PIECE_ELEMENTS:
                        raise too_many_elements(position)
                elif depth == 4:
                    if in_recette:
                        name = local_name(element.tag)
                        if name == "Piece":
                            position += 1
                            kept, held, reader.piece = True, 0, position
                        elif name == "BlocBordereau" and in_bordereau:
                            kept, held = True, 0
                        elif in_bordereau and name not in BORDEREAU_CHILDREN:
                            raise unexpected_in_bordereau(name, position)
                elif depth == 3:
                    in_bordereau = in_recette and local_name(element.tag) == "Bordereau"
                    recette = recette or in_bordereau
                elif depth == 2:
                    name = local_name(element.tag)
                    if name == "PES_PJ":  # attachments: the schema puts nothing to read after them
                        attachments = True
                        break
                    in_recette = name == "PES_RecetteAller"
                elif depth == 1:  # whatever the prolog check saw: libxml2 expands entities in attributes
                    refuse_dtd(element)
                continue
            depth -= 1
            if kept:
                if depth >= 4:  # inside: read with its piece
                    continue
                kept, reader.piece = False, None
                if local_name(element.tag) == "Piece":
                    recette = True
                    yield from read_piece(position, element, bord if in_bordereau else None)
                else:
                    bord = read_bordereau(element)
            elif depth == 2 and in_bordereau:  # a Bordereau: its pieces are done
                bord = None
            # Free what is read: the element and everything before it at its level.
            element.clear(keep_tail=False)
            reader.freed_at = reader.position
            parent = element.getparent()
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as exc:
        raise ImportFileError(syntax_message(exc, parser_encoding)) from None
    if attachments:
        check_root_ends(reader.skip_rest(position=position))
    if not recette:
        raise ImportFileError(
            "Ce fichier PES ne contient aucun bordereau de recette (PES_RecetteAller / Bordereau) : "
            "ce n'est pas un PES V2 Recette."
        )
