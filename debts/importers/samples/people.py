"""The debtors, amounts and days of generated files: French people, places and things
(É, Ç, Œ...), some public bodies, amounts around TIPI's limits."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from random import Random

from .base import EXERCICE

__all__ = ["MONTHS", "SERVICES", "Person", "random_amount", "random_day", "random_person"]

_FIRST_NAMES = (
    "Élodie",
    "François",
    "Chloé",
    "Jérôme",
    "Hélène",
    "Loïc",
    "Maëlle",
    "Noël",
    "Agnès",
    "Benoît",
    "Cécile",
    "Clément",
    "Zoé",
    "Anaïs",
    "Gaëtan",
    "Léa",
    "Raphaël",
    "Thérèse",
    "Joël",
    "Françoise",
    "Amélie",
    "Jean",
    "Marie",
    "Pierre",
    "Sophie",
    "Nicolas",
    "Camille",
    "Lucas",
    "Inès",
    "Hervé",
    "Étienne",
    "Océane",
)
_LAST_NAMES = (
    "MARTIN",
    "BERNARD",
    "DUBOIS",
    "LEFÈVRE",
    "GIRAUD",
    "MÉNARD",
    "LEBŒUF",
    "CŒURDEVEY",
    "DESCHAMPS",
    "GAUTHIER",
    "FRANÇOIS",
    "BÉRANGER",
    "ÉVRARD",
    "MOREAU",
    "ROUSSEAU",
    "GARÇON",
    "DUPRÉ",
    "NOËL",
    "PERRIN",
    "FAURE",
    "LE GALL",
    "N'DIAYE",
    "SAINT-CYR",
    "MÜLLER",
    "CHÂTEAU",
    "BŒUF",
    "DELAÎTRE",
    "LAMBERT",
    "FONTAINE",
    "ROUX",
)
_CIVILITIES = ("M", "MME", "M", "MME", "")
_PUBLIC_BODIES = (
    ("COMMUNE DE SAINT-ÉTIENNE-LÈS-REMIREMONT", "21880383600011"),
    ("COLLÈGE JEAN MOULIN", "19420012300018"),
    ("CENTRE HOSPITALIER DE BESANÇON", "26250001600013"),
    ("SYNDICAT DES EAUX DU CŒUR DE FRANCE", "25180077200025"),
    ("DÉPARTEMENT DE LA LOIRE", "22420001700016"),
)
_STREETS = (
    "RUE DE L'ÉGLISE",
    "PLACE DE LA RÉPUBLIQUE",
    "AVENUE ÉDOUARD HERRIOT",
    "CHEMIN DES ÉCOLIERS",
    "IMPASSE DE L'ŒILLET",
    "ALLÉE DES CHÂTAIGNIERS",
    "RUE DU CŒUR VOLANT",
    "BOULEVARD FRANÇOIS MITTERRAND",
    "QUAI DE LA SAÔNE",
    "RUE JEAN JAURÈS",
    "ROUTE DE L'ÉTANG",
    "RUE DES FRÈRES LUMIÈRE",
    "CHEMIN DE LA FORÊT",
)
_COMPLEMENTS = ("BÂTIMENT B", "RÉSIDENCE LES ÉRABLES", "APPARTEMENT 12", "ESCALIER C", "LE HAUT DES ÇÀ")
_TOWNS = (
    ("42000", "SAINT-ÉTIENNE"),
    ("25000", "BESANÇON"),
    ("45000", "ORLÉANS"),
    ("30000", "NÎMES"),
    ("88000", "ÉPINAL"),
    ("69001", "LYON"),
    ("63000", "CLERMONT-FERRAND"),
    ("74000", "ANNECY"),
    ("57000", "METZ"),
    ("06000", "NICE"),
    ("59800", "LILLE"),
    ("97400", "SAINT-DENIS"),
    ("71100", "CHALON-SUR-SAÔNE"),
    ("29200", "BREST"),
    ("64100", "BAYONNE"),
    ("88200", "REMIREMONT"),
)
SERVICES = (
    "CANTINE SCOLAIRE",
    "GARDERIE PÉRISCOLAIRE",
    "LOYER COMMUNAL",
    "OCCUPATION DU DOMAINE PUBLIC",
    "ÉCOLE DE MUSIQUE",
    "CONCESSION CIMETIÈRE",
    "CRÈCHE MUNICIPALE",
    "CENTRE DE LOISIRS ÉTÉ",
    "TRANSPORT SCOLAIRE",
    "LOCATION SALLE DES FÊTES",
    "ENLÈVEMENT ENCOMBRANTS",
    "FOURRIÈRE",
)
MONTHS = (
    "JANVIER",
    "FÉVRIER",
    "MARS",
    "AVRIL",
    "MAI",
    "JUIN",
    "JUILLET",
    "AOÛT",
    "SEPTEMBRE",
    "OCTOBRE",
    "NOVEMBRE",
    "DÉCEMBRE",
)


@dataclass(frozen=True, slots=True)
class Person:
    civility: str
    last: str
    first: str
    ref: str
    lines: tuple[str, ...]  # street lines, without the town
    postcode: str
    town: str
    siret: str  # public bodies only

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.last, self.first) if part)


def random_person(rng: Random, number: int) -> Person:
    """A debtor: mostly people, some public bodies (Chorus Pro debtors)."""
    postcode, town = rng.choice(_TOWNS)
    street = f"{rng.randint(1, 180)} {rng.choice(_STREETS)}"
    lines = (rng.choice(_COMPLEMENTS), street) if rng.random() < 0.2 else (street,)
    if rng.random() < 0.05:
        name, siret = rng.choice(_PUBLIC_BODIES)
        return Person("", name, "", f"P{number:07d}", lines, postcode, town, siret)
    return Person(
        rng.choice(_CIVILITIES),
        rng.choice(_LAST_NAMES),
        rng.choice(_FIRST_NAMES).upper(),
        f"D{number:07d}",
        lines,
        postcode,
        town,
        "",
    )


def random_amount(rng: Random) -> int:
    """An amount in cents: mostly 1 € to 300 €, some below 1 €, some above 1 500 €."""
    draw = rng.random()
    if draw < 0.04:
        return rng.randint(1, 99)
    if draw < 0.08:
        return rng.randint(150_000, 500_000)
    if draw < 0.15:
        return rng.randint(30_001, 149_999)
    return rng.randint(100, 30_000)


def random_day(rng: Random) -> datetime.date:
    """A day of the sample exercice."""
    return datetime.date(int(EXERCICE), 1, 1) + datetime.timedelta(days=rng.randint(0, 364))
