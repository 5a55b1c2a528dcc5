"""Rebuild the golden files of tests/unit/importers from the annex-5 positions.

Run from the project root: ``python tests/data/importers/build_golden.py``. The
files are committed; this script only documents how they were made. It places each
value at the positions printed in annex 5 (1-based, inclusive) on its own, without
the importers' Layout, so that a shifted zone in the importers shows as a failure.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent

# Annex 5, INDIGO: zone → (from, to).
INDIGO = {
    "CODRCT": (1, 2),
    "CODCOL": (3, 5),
    "COBUDGET": (6, 7),
    "CODEXER": (8, 11),
    "NUMBORD": (12, 18),
    "NUMTITRE": (19, 26),
    "NUMORDRE": (27, 32),
    "NATURE": (33, 42),
    "FONCTION": (43, 49),
    "MONTANT": (60, 75),
    "TVA": (76, 91),
    "ETATCIV": (92, 97),
    "ZONEAD1": (98, 129),
    "ZONEAD2": (130, 161),
    "ZONEAD3": (162, 193),
    "ZONEAD4": (194, 225),
    "REFSTABLE": (290, 304),
    "NATURETITRE": (305, 306),
    "CODEDEBIT": (307, 308),
    "ZONEOBJ1": (324, 353),
    "ZONEOBJ2": (354, 383),
    "MONNAIE": (427, 427),
    "VERSION": (451, 451),
    "CODTYPE": (452, 452),
}
# Annex 5, ROLMRE.
ROLMRE = {
    "ROLMVT": (1, 1),
    "ROLCOL": (2, 3),
    "ROLNAT": (4, 5),
    "ROLEX": (6, 9),
    "ROLPER": (10, 10),
    "ROLDET": (11, 23),
    "ROLCLE1": (24, 24),
    "ROLCLE2": (26, 26),
    "ROLREC": (27, 28),
    "ROLDAT": (29, 36),
    "ROLROL": (37, 38),
    "ROLEAU": (39, 50),
    "ROLASS": (51, 62),
    "ROLTVE": (63, 74),
    "ROLTVA": (75, 86),
    "ROLTOT": (87, 98),
    "ROLNMAJ": (99, 110),
    "ROLNOM": (111, 142),
    "ROLCNM": (143, 174),
    "ROLDIS": (175, 206),
    "ROLADR": (207, 238),
    "ROLCVI": (239, 270),
    "ROLCP": (271, 275),
    "ROLLOC": (276, 302),
    "ROLCLI": (415, 434),
    "ROLDEB": (467, 468),
    "ROLTPR": (499, 499),
    "ROLVER": (500, 500),
}


def record(layout: dict[str, tuple[int, int]], length: int, **values: str) -> str:
    """A record of ``length`` spaces with each value written at its zone, which it
    must fit exactly or be shorter than (then left-aligned)."""
    chars = [" "] * length
    for name, value in values.items():
        start, end = layout[name]
        assert len(value) <= end - start + 1, (name, value)
        chars[start - 1 : start - 1 + len(value)] = value
    return "".join(chars)


def indigo(numtitre: str, numordre: str, nature: str, montant: str, **more: str) -> str:
    """An INDIGO line of exercice 2024 with the usual constant zones."""
    base = {
        "CODRCT": "11",
        "CODCOL": "042",
        "COBUDGET": "00",
        "CODEXER": "2024",
        "NUMBORD": "0000012",
        "NUMTITRE": numtitre,
        "NUMORDRE": numordre,
        "NATURE": "7067",
        "FONCTION": "251",
        "MONTANT": montant,
        "TVA": "0" * 16,
        "NATURETITRE": nature,
        "MONNAIE": "E",
        "VERSION": "1",
        "CODTYPE": "T",
    }
    base.update(more)
    return record(INDIGO, 452, **base)


def m16(cents: int) -> str:
    """MONTANT/TVA: 16 digits, the last two are cents."""
    return f"{cents:016d}"


INDIGO_LINES = [
    # 1: nature 01, one line.
    indigo(
        "00000101",
        "000001",
        "01",
        m16(4250),
        ETATCIV="MME",
        ZONEAD1="LEBŒUF ÉLODIE",
        ZONEAD2="12 RUE DE L'ÉGLISE",
        ZONEAD3="42000 SAINT-ÉTIENNE",
        REFSTABLE="D0000101",
        CODEDEBIT="01",
        ZONEOBJ1="CANTINE SCOLAIRE",
        ZONEOBJ2="MARS 2024",
    ),
    # 2-4: nature 09, three imputations of one debtor: one debt on 000001, summed.
    indigo(
        "00000102",
        "000001",
        "09",
        m16(1000),
        ETATCIV="M",
        ZONEAD1="GARÇON FRANÇOIS",
        ZONEAD2="RÉSIDENCE LES ÉRABLES",
        ZONEAD3="3 AVENUE ÉDOUARD HERRIOT",
        ZONEAD4="25000 BESANÇON",
        REFSTABLE="D0000102",
        ZONEOBJ1="GARDERIE PÉRISCOLAIRE",
    ),
    indigo(
        "00000102",
        "000002",
        "09",
        m16(2050),
        ETATCIV="M",
        ZONEAD1="GARÇON FRANÇOIS",
        REFSTABLE="D0000102",
        ZONEOBJ1="CANTINE",
    ),
    indigo("00000102", "000003", "09", m16(375), ETATCIV="M", ZONEAD1="GARÇON FRANÇOIS", REFSTABLE="D0000102"),
    # 5: nature 00, an amount below 1 € is still a debt.
    indigo("00000103", "000001", "00", m16(99), ZONEAD1="NOËL AGNÈS", REFSTABLE="D0000103", ZONEOBJ1="PHOTOCOPIES"),
    # 6-7: nature 10, the sum goes above TIPI's 1 500 € (still a debt; TIPI refuses it).
    indigo(
        "00000104",
        "000001",
        "10",
        m16(150000),
        ZONEAD1="SCI DU CŒUR VOLANT",
        REFSTABLE="D0000104",
        ZONEOBJ1="LOYER COMMUNAL",
    ),
    indigo("00000104", "000002", "10", m16(25), ZONEAD1="SCI DU CŒUR VOLANT", REFSTABLE="D0000104"),
    # 8-10: nature 03, three debtors, one debt per line on its NUMORDRE; TVA not added.
    indigo(
        "00000105",
        "000001",
        "03",
        m16(12000),
        TVA=m16(2000),
        ZONEAD1="COMMUNE DE SAINT-ÉTIENNE",
        ZONEAD2="PLACE DE L'HÔTEL DE VILLE",
        ZONEAD3="42000 SAINT-ÉTIENNE",
        REFSTABLE="P0000001",
        CODEDEBIT="03",
        ZONEOBJ1="OCCUPATION DU DOMAINE PUBLIC T",
        ZONEOBJ2="ERRASSE ÉTÉ 2024",
    ),
    indigo(
        "00000105",
        "000002",
        "03",
        m16(3000),
        ETATCIV="MME",
        ZONEAD1="ÉVRARD CHLOÉ",
        REFSTABLE="D0000105",
        ZONEOBJ1="OCCUPATION DU DOMAINE PUBLIC",
    ),
    indigo(
        "00000105",
        "000003",
        "03",
        m16(4500),
        ETATCIV="M",
        ZONEAD1="MÜLLER JÉRÔME",
        REFSTABLE="D0000106",
        ZONEOBJ1="OCCUPATION DU DOMAINE PUBLIC",
    ),
    # 11: MONTANT not numeric.
    indigo("00000106", "000001", "01", "00000000001234A5", ZONEAD1="DUPRÉ LÉA"),
    # 12: NUMTITRE blank.
    indigo("", "000001", "01", m16(1000), ZONEAD1="DUPRÉ LÉA"),
    # 13: CODEXER not a year.
    indigo("00000108", "000001", "01", m16(1000), CODEXER="20A4"),
    # 14: one character short.
    indigo("00000109", "000001", "01", m16(1000))[:451],
    # 15: unknown nature.
    indigo("00000110", "000001", "07", m16(1000)),
    # 16: MONTANT blank.
    indigo("00000111", "000001", "01", ""),
    # 17: NUMORDRE not numeric in a nature 03 titre.
    indigo("00000112", "00000A", "03", m16(1000)),
    # 18-19: nature 09 titre whose second line is bad: the titre is not imported.
    indigo("00000113", "000001", "09", m16(1000), REFSTABLE="D0000113"),
    indigo("00000113", "000002", "09", "ABCDEFGHIJKLMNOP", REFSTABLE="D0000113"),
    # 20: an empty line in the middle: skipped.
    "",
    # 21: nature 09 with a single line.
    indigo("00000114", "000001", "09", m16(800), REFSTABLE="D0000114", ZONEAD1="ROUX HERVÉ"),
    # 22: a line of titre 102 (grouped above) far from its titre.
    indigo("00000102", "000004", "09", m16(100), REFSTABLE="D0000102"),
    # 23: nature 03 line with a zero amount.
    indigo("00000115", "000001", "03", m16(0)),
    # 24-25: nature 09 with two different debtors: refused.
    indigo("00000116", "000001", "09", m16(100), REFSTABLE="D0000116"),
    indigo("00000116", "000002", "09", m16(100), REFSTABLE="D0000999"),
    # 26-27: nature changes within a titre.
    indigo("00000117", "000001", "09", m16(700), REFSTABLE="D0000117"),
    indigo("00000117", "000002", "03", m16(300), REFSTABLE="D0000117"),
    # 28-29: NUMORDRE twice in a nature 03 titre.
    indigo("00000118", "000001", "03", m16(500), REFSTABLE="D0000118"),
    indigo("00000118", "000001", "03", m16(600), REFSTABLE="D0000119"),
]


def rolmre(**values: str) -> str:
    """A ROLMRE line of exercice 2024 with the usual constant zones."""
    base = {
        "ROLMVT": "1",
        "ROLCOL": "42",
        "ROLNAT": "01",
        "ROLEX": "2024",
        "ROLPER": "1",
        "ROLCLE1": "7",
        "ROLCLE2": "K",
        "ROLROL": "01",
        "ROLEAU": "0" * 12,
        "ROLASS": "0" * 12,
        "ROLTVE": "0" * 12,
        "ROLTVA": "0" * 12,
        "ROLNMAJ": "0" * 12,
        "ROLTPR": "1",
        "ROLVER": "2",
    }
    base.update(values)
    return record(ROLMRE, 500, **base)


def m12(cents: int) -> str:
    """ROLMRE amounts: 12 digits, the last two are cents."""
    return f"{cents:012d}"


ROLMRE_LINES = [
    # 1: EAU with ROLDEB.
    rolmre(
        ROLDET="0000000000123",
        ROLREC="EA",
        ROLDAT="20240315",
        ROLEAU=m12(5500),
        ROLASS=m12(5845),
        ROLTVE=m12(302),
        ROLTVA=m12(698),
        ROLTOT=m12(12345),
        ROLNOM="CŒURDEVEY ÉMILE",
        ROLCNM="OU MME CŒURDEVEY",
        ROLDIS="RÉSIDENCE LES ÉRABLES",
        ROLADR="3 RUE DU CŒUR VOLANT",
        ROLCP="25000",
        ROLLOC="BESANÇON",
        ROLCLI="C000123",
        ROLDEB="01",
    ),
    # 2: EAU without ROLDEB.
    rolmre(
        ROLDET="0000000000124",
        ROLREC="EA",
        ROLDAT="20240316",
        ROLTOT=m12(4200),
        ROLNOM="GARÇON LUCAS",
        ROLADR="8 IMPASSE DE L'ŒILLET",
        ROLCP="45000",
        ROLLOC="ORLÉANS",
        ROLCLI="C000124",
    ),
    # 3: DDPAC: ROLREC blank, ROLNAT 12.
    rolmre(
        ROLNAT="12",
        ROLDET="0000000000125",
        ROLDAT="20240401",
        ROLTOT=m12(98765),
        ROLNOM="NOËL THÉRÈSE",
        ROLADR="1 PLACE DE LA RÉPUBLIQUE",
        ROLCVI="LE BOURG",
        ROLCP="88000",
        ROLLOC="ÉPINAL",
        ROLCLI="C000125",
        ROLTPR="0",
    ),
    # 4: DDPAC with a ROLDEB in the file (REFDET still uses 00) and ROLTPR 2.
    rolmre(
        ROLNAT="12",
        ROLDET="0000000000126",
        ROLDAT="20240402",
        ROLTOT=m12(50),
        ROLNOM="ROUX INÈS",
        ROLCP="30000",
        ROLLOC="NÎMES",
        ROLCLI="C000126",
        ROLDEB="05",
        ROLTPR="2",
    ),
    # 5: ROLTOT not numeric.
    rolmre(ROLDET="0000000000127", ROLREC="EA", ROLDAT="20240315", ROLTOT="0000001234,5"),
    # 6: ROLDET blank.
    rolmre(ROLDET="", ROLREC="EA", ROLDAT="20240315", ROLTOT=m12(1000)),
    # 7: ROLDAT not a day.
    rolmre(ROLDET="0000000000129", ROLREC="EA", ROLDAT="20240230", ROLTOT=m12(1000)),
    # 8: ROLEX with a letter O.
    rolmre(ROLDET="0000000000130", ROLREC="EA", ROLEX="2O24", ROLDAT="20240315", ROLTOT=m12(1000)),
    # 9: one character too many.
    rolmre(ROLDET="0000000000131", ROLREC="EA", ROLDAT="20240315", ROLTOT=m12(1000)) + " ",
    # 10: ROLREC with an accent.
    rolmre(ROLDET="0000000000132", ROLREC="É1", ROLDAT="20240315", ROLTOT=m12(1000)),
    # 11: DDPAC without ROLNAT.
    rolmre(ROLNAT="", ROLDET="0000000000133", ROLDAT="20240315", ROLTOT=m12(1000)),
    # 12: zero total.
    rolmre(ROLDET="0000000000134", ROLREC="EA", ROLDAT="20240315", ROLTOT=m12(0)),
    # 13: ROLDEB not numeric.
    rolmre(ROLDET="0000000000135", ROLREC="EA", ROLDAT="20240315", ROLTOT=m12(1000), ROLDEB="A1"),
    # 14: a detail amount not numeric.
    rolmre(ROLDET="0000000000136", ROLREC="EA", ROLDAT="20240315", ROLTOT=m12(1000), ROLEAU="00000000XXXX"),
    # 15: no ROLDAT: no issue date, still a debt; ROLDET written without its zeros.
    rolmre(ROLDET="137", ROLREC="AS", ROLTOT=m12(1999), ROLNOM="SAINT-CYR OCÉANE", ROLCLI="C000137"),
]


PES_BODY = """<EnTetePES><DteStr V="2024-03-01"/><IdPost V="042000"/><IdColl V="21420218600011"/><CodCol V="042"/><CodBud V="00"/></EnTetePES>
<PES_DepenseAller><Bordereau><BlocBordereau><Exer V="2024"/><IdBord V="9"/></BlocBordereau>
<Piece><BlocPiece><IdPce V="999"/></BlocPiece><LigneDePiece><BlocLignePiece><InfoLignePiece><IdLigne V="1"/><MtHT V="1.00"/></InfoLignePiece></BlocLignePiece></LigneDePiece></Piece>
</Bordereau></PES_DepenseAller>
<PES_RecetteAller>
  <EnTeteRecette><IdVer V="2"/></EnTeteRecette>
  <Bordereau>
    <BlocBordereau><Exer V="2024"/><IdBord V="12"/><TypBord V="01"/><DteBord V="2024-03-01"/><NbrePce V="14"/></BlocBordereau>
    <!-- 1: mono-débiteur mono-imputation; the principal address is the second one -->
    <Piece>
      <BlocPiece><InfoPce><IdPce V="101"/><TypPce V="01"/><NatPce V="01"/><ObjPce V="Cantine scolaire mars 2024"/><DteAsp V="2024-03-05"/></InfoPce></BlocPiece>
      <LigneDePiece>
        <BlocLignePiece><InfoLignePiece><IdLigne V="1"/><Nature V="7067"/><MtHT V="42.50"/></InfoLignePiece></BlocLignePiece>
        <Tiers>
          <InfoTiers><RefTiers V="T101"/><CatTiers V="01"/><NatJur V="01"/><Civilite V="Mme"/><Nom V="LEBŒUF"/><Prenom V="Élodie"/></InfoTiers>
          <Adresse><TypAdr V="2"/><Adr2 V="BP 12"/><CP V="75001"/><Ville V="PARIS"/></Adresse>
          <Adresse><TypAdr V="1"/><Adr2 V="12 rue de l'Église"/><CP V="42000"/><Ville V="SAINT-ÉTIENNE"/></Adresse>
        </Tiers>
      </LigneDePiece>
    </Piece>
    <!-- 2: mono-débiteur multi-imputation, MtTVA with a comma -->
    <Piece>
      <BlocPiece><InfoPce><IdPce V="102"/><ObjPce V="Garderie périscolaire"/><DteAsp V="20240306"/></InfoPce></BlocPiece>
      <LigneDePiece>
        <BlocLignePiece><InfoLignePiece><IdLigne V="1"/><MtHT V="100"/><MtTVA V="19,6"/></InfoLignePiece></BlocLignePiece>
        <Tiers><InfoTiers><RefTiers V="T102"/><Civilite V="M."/><Nom V="GARÇON"/><Prenom V="François"/></InfoTiers>
          <Adresse><Adr1 V="Résidence Les Érables"/><Adr2 V="3 avenue Édouard Herriot"/><Cp V="25000"/><Ville V="BESANÇON"/></Adresse></Tiers>
      </LigneDePiece>
      <LigneDePiece>
        <BlocLignePiece><InfoLignePiece><IdLigne V="2"/><MtHT V="10.05"/></InfoLignePiece></BlocLignePiece>
        <Tiers><InfoTiers><RefTiers V="T102"/><Civilite V="M."/><Nom V="GARÇON"/><Prenom V="François"/></InfoTiers></Tiers>
      </LigneDePiece>
    </Piece>
    <!-- 3: multi-débiteur mono-imputation, one debtor a public body -->
    <Piece>
      <BlocPiece><InfoPce><IdPce V="103"/><ObjPce V="Occupation du domaine public"/><DteAsp V="2024-03-07"/></InfoPce></BlocPiece>
      <LigneDePiece>
        <BlocLignePiece><InfoLignePiece><IdLigne V="1"/><MtHT V="25.00"/></InfoLignePiece></BlocLignePiece>
        <Tiers><InfoTiers><RefTiers V="T103A"/><Nom V="ÉVRARD"/><Prenom V="Chloé"/></InfoTiers></Tiers>
      </LigneDePiece>
      <LigneDePiece>
        <BlocLignePiece><InfoLignePiece><IdLigne V="2"/><MtHT V="30.5"/></InfoLignePiece></BlocLignePiece>
        <Tiers><InfoTiers><RefTiers V="T103B"/><Nom V="MÜLLER"/><Prenom V="Jérôme"/></InfoTiers></Tiers>
      </LigneDePiece>
      <LigneDePiece>
        <BlocLignePiece><InfoLignePiece><IdLigne V="3"/><MtHT V="1600.00"/></InfoLignePiece></BlocLignePiece>
        <Tiers><InfoTiers><IdTiers V="21420218600011"/><NatIdTiers V="01"/><CatTiers V="50"/><NatJur V="03"/><Nom V="COMMUNE DE SAINT-ÉTIENNE"/></InfoTiers>
          <Adresse><TypAdr V="1"/><Adr2 V="Place de l'Hôtel de Ville"/><CodPostal V="42000"/><Ville V="SAINT-ÉTIENNE"/></Adresse></Tiers>
      </LigneDePiece>
    </Piece>
    <!-- 4: multi-débiteur multi-imputation: one debt per debtor on its first IdLigne -->
    <Piece>
      <BlocPiece><InfoPce><IdPce V="104"/><ObjPce V="Crèche municipale"/></InfoPce></BlocPiece>
      <LigneDePiece><BlocLignePiece><InfoLignePiece><IdLigne V="1"/><MtHT V="10.00"/></InfoLignePiece></BlocLignePiece>
        <Tiers><InfoTiers><RefTiers V="T104A"/><Nom V="NOËL"/></InfoTiers></Tiers></LigneDePiece>
      <LigneDePiece><BlocLignePiece><InfoLignePiece><IdLigne V="2"/><MtHT V="20.00"/></InfoLignePiece></BlocLignePiece>
        <Tiers><InfoTiers><RefTiers V="T104B"/><Nom V="ROUX"/></InfoTiers></Tiers></LigneDePiece>
      <LigneDePiece><BlocLignePiece><InfoLignePiece><IdLigne V="3"/><MtHT V="5.00"/></InfoLignePiece></BlocLignePiece>
        <Tiers><InfoTiers><RefTiers V="T104A"/><Nom V="NOËL"/></InfoTiers></Tiers></LigneDePiece>
      <LigneDePiece><BlocLignePiece><InfoLignePiece><IdLigne V="4"/><MtHT V="2.50"/></InfoLignePiece></BlocLignePiece>
        <Tiers><InfoTiers><RefTiers V="T104B"/><Nom V="ROUX"/></InfoTiers></Tiers></LigneDePiece>
    </Piece>
    <!-- 5: three decimals -->
    <Piece><BlocPiece><IdPce V="105"/></BlocPiece>
      <LigneDePiece><BlocLignePiece><InfoLignePiece><IdLigne V="1"/><MtHT V="12.345"/></InfoLignePiece></BlocLignePiece></LigneDePiece></Piece>
    <!-- 6: IdPce blank -->
    <Piece><BlocPiece><IdPce V=""/></BlocPiece>
      <LigneDePiece><BlocLignePiece><InfoLignePiece><IdLigne V="1"/><MtHT V="1.00"/></InfoLignePiece></BlocLignePiece></LigneDePiece></Piece>
    <!-- 7: no IdLigne -->
    <Piece><BlocPiece><IdPce V="107"/></BlocPiece>
      <LigneDePiece><BlocLignePiece><InfoLignePiece><MtHT V="1.00"/></InfoLignePiece></BlocLignePiece></LigneDePiece></Piece>
    <!-- 8: DteAsp not a day -->
    <Piece><BlocPiece><IdPce V="108"/><DteAsp V="2024-02-30"/></BlocPiece>
      <LigneDePiece><BlocLignePiece><InfoLignePiece><IdLigne V="1"/><MtHT V="1.00"/></InfoLignePiece></BlocLignePiece></LigneDePiece></Piece>
    <!-- 9: multi-débiteur, one debtor's line is bad: the other debtor's debt stands -->
    <Piece><BlocPiece><IdPce V="109"/></BlocPiece>
      <LigneDePiece><BlocLignePiece><InfoLignePiece><IdLigne V="1"/><MtHT V="8.00"/></InfoLignePiece></BlocLignePiece>
        <Tiers><InfoTiers><RefTiers V="T109A"/><Nom V="FAURE"/></InfoTiers></Tiers></LigneDePiece>
      <LigneDePiece><BlocLignePiece><InfoLignePiece><IdLigne V="2"/><MtHT V="abc"/></InfoLignePiece></BlocLignePiece>
        <Tiers><InfoTiers><RefTiers V="T109B"/><Nom V="PERRIN"/></InfoTiers></Tiers></LigneDePiece></Piece>
    <!-- 10: mono-débiteur, second line bad: the piece is not imported -->
    <Piece><BlocPiece><IdPce V="110"/></BlocPiece>
      <LigneDePiece><BlocLignePiece><InfoLignePiece><IdLigne V="1"/><MtHT V="8.00"/></InfoLignePiece></BlocLignePiece>
        <Tiers><InfoTiers><RefTiers V="T110"/></InfoTiers></Tiers></LigneDePiece>
      <LigneDePiece><BlocLignePiece><InfoLignePiece><IdLigne V="2"/><MtHT V="1.00"/><MtTVA V="1.2.3"/></InfoLignePiece></BlocLignePiece>
        <Tiers><InfoTiers><RefTiers V="T110"/></InfoTiers></Tiers></LigneDePiece></Piece>
    <!-- 11: negative amount -->
    <Piece><BlocPiece><IdPce V="111"/></BlocPiece>
      <LigneDePiece><BlocLignePiece><InfoLignePiece><IdLigne V="1"/><MtHT V="-5.00"/></InfoLignePiece></BlocLignePiece></LigneDePiece></Piece>
    <!-- 12: no line -->
    <Piece><BlocPiece><IdPce V="112"/></BlocPiece></Piece>
    <!-- 13: IdLigne twice -->
    <Piece><BlocPiece><IdPce V="113"/></BlocPiece>
      <LigneDePiece><BlocLignePiece><InfoLignePiece><IdLigne V="1"/><MtHT V="3.00"/></InfoLignePiece></BlocLignePiece>
        <Tiers><InfoTiers><RefTiers V="T113"/></InfoTiers></Tiers></LigneDePiece>
      <LigneDePiece><BlocLignePiece><InfoLignePiece><IdLigne V="1"/><MtHT V="4.00"/></InfoLignePiece></BlocLignePiece>
        <Tiers><InfoTiers><RefTiers V="T113"/></InfoTiers></Tiers></LigneDePiece></Piece>
    <!-- 14: IdPce longer than 8 digits -->
    <Piece><BlocPiece><IdPce V="123456789"/></BlocPiece>
      <LigneDePiece><BlocLignePiece><InfoLignePiece><IdLigne V="1"/><MtHT V="1.00"/></InfoLignePiece></BlocLignePiece></LigneDePiece></Piece>
  </Bordereau>
  <!-- Exer on two digits: every piece of the bordereau is reported -->
  <Bordereau>
    <BlocBordereau><Exer V="24"/><IdBord V="13"/><TypBord V="01"/></BlocBordereau>
    <Piece><BlocPiece><IdPce V="201"/></BlocPiece>
      <LigneDePiece><BlocLignePiece><InfoLignePiece><IdLigne V="1"/><MtHT V="1.00"/></InfoLignePiece></BlocLignePiece></LigneDePiece></Piece>
  </Bordereau>
  <!-- annulation/réduction: not debts -->
  <Bordereau>
    <BlocBordereau><Exer V="2024"/><IdBord V="14"/><TypBord V="02"/></BlocBordereau>
    <Piece><BlocPiece><IdPce V="301"/></BlocPiece>
      <LigneDePiece><BlocLignePiece><InfoLignePiece><IdLigne V="1"/><MtHT V="1.00"/></InfoLignePiece></BlocLignePiece></LigneDePiece></Piece>
  </Bordereau>
  <!-- the date comes from the bordereau (DteBordEm, AAAAMMJJ); the label from the line -->
  <Bordereau>
    <BlocBordereau><Exer V="2023"/><IdBord V="15"/><TypBord V="01"/><DteBordEm V="20230615"/></BlocBordereau>
    <Piece><BlocPiece><IdPce V="401"/></BlocPiece>
      <LigneDePiece><BlocLignePiece><InfoLignePiece><IdLigne V="1"/><ObjLignePce V="Fourrière"/><MtHT V="7"/></InfoLignePiece></BlocLignePiece>
        <Tiers><InfoTiers><RefTiers V="T401"/><Nom V="N'DIAYE"/></InfoTiers></Tiers></LigneDePiece></Piece>
  </Bordereau>
</PES_RecetteAller>
"""
NAMESPACE = "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller"


def main() -> None:
    """Write every golden file."""
    text = "\n".join(INDIGO_LINES) + "\n"
    (HERE / "indigo_golden_latin9.txt").write_bytes(text.encode("iso8859-15"))
    (HERE / "indigo_golden_cp1252_crlf.txt").write_bytes(text.replace("\n", "\r\n").encode("cp1252"))
    (HERE / "indigo_golden_utf8.txt").write_bytes(text.encode("utf-8"))

    text = "\n".join(ROLMRE_LINES) + "\n\n"  # a trailing empty line
    (HERE / "rolmre_golden_latin9.txt").write_bytes(text.encode("iso8859-15"))
    (HERE / "rolmre_golden_cp1252_crlf.txt").write_bytes(text.replace("\n", "\r\n").encode("cp1252"))
    (HERE / "rolmre_golden_utf8_bom.txt").write_bytes(text.encode("utf-8-sig"))

    prefixed = (
        f'<?xml version="1.0" encoding="ISO-8859-15"?>\n<n:PES_Aller xmlns:n="{NAMESPACE}">\n{PES_BODY}</n:PES_Aller>\n'
    )
    (HERE / "pesv2_golden_prefix_latin9.xml").write_bytes(prefixed.encode("iso8859-15"))
    default = f'<?xml version="1.0" encoding="UTF-8"?>\n<PES_Aller xmlns="{NAMESPACE}">\n{PES_BODY}</PES_Aller>\n'
    (HERE / "pesv2_golden_default_ns_utf8.xml").write_bytes(default.encode("utf-8"))
    # Windows software: no declaration, Windows-1252 bytes (Œ is 0x8C there).
    plain = f"<PES_Aller>\n{PES_BODY}</PES_Aller>\n".replace("\n", "\r\n")
    (HERE / "pesv2_golden_plain_cp1252.xml").write_bytes(plain.encode("cp1252"))


if __name__ == "__main__":
    main()
