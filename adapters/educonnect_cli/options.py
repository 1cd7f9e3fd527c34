"""The options the commands share (selection criteria, ``--json``), and how their values are
checked against the base: an unknown school, class, state or origin is an error that names the
accepted values, never a silent empty answer.

Only `typer` and the standard library are imported here at module level (start-up time).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import attrs
import typer

from educonnect_cli.terminal import fail

if TYPE_CHECKING:
    from educonnect_core import EduConnect, School, SchoolClass, Selection

__all__ = [
    "ClassOpt",
    "Criteria",
    "EmailOpt",
    "JsonOpt",
    "OriginOpt",
    "OutOpt",
    "StateOpt",
    "TextOpt",
    "UaiArg",
    "YesNo",
    "known_school",
]


E = TypeVar("E", bound=enum.Enum)


class YesNo(enum.StrEnum):
    """With (oui) or without (non) an e-mail address."""

    oui = "oui"
    non = "non"
    yes = "yes"
    no = "no"


UaiArg = Annotated[str, typer.Argument(metavar="UAI", help="UAI de l'école (ex. 0750101A).")]
TextOpt = Annotated[
    str, typer.Option("--text", metavar="TEXTE", help="Texte cherché dans les noms.")
]
ClassOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--class",
        metavar="CLASSE",
        help="Classe, par son nom affiché dans la liste (« CP A ») ou son identifiant ; répétable.",
    ),
]
StateOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--state",
        metavar="ÉTAT",
        help="État de compte : « Non notifié », « Notifié et non activé », « En cours "
        "d'activation », « Activé » (ou NOT_NOTIFIED, NOTIFIED, ACTIVATING, ACTIVATED) ; "
        "répétable.",
    ),
]
EmailOpt = Annotated[
    YesNo | None,
    typer.Option(
        "--email",
        metavar="oui|non",
        help="Avec (oui) ou sans (non) adresse mail.",
        show_choices=False,
    ),
]
OriginOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--origin",
        metavar="ORIGINE",
        help="Origine du compte, par son libellé ou son code ; répétable.",
    ),
]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Sortie JSON pour les programmes (codes des états).")
]
OutOpt = Annotated[
    Path,
    typer.Option(
        "--out",
        metavar="DOSSIER",
        help="Dossier où écrire le fichier (aucun fichier existant n'est remplacé).",
    ),
]


def _fold(text: str) -> str:
    """Case, accents, apostrophes and spaces folded, to compare what a person typed."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().replace("_", " ").split())


def _choose(kind: str, given: Iterable[str], members: Sequence[E]) -> frozenset[E]:
    """Members named by their French label or their code; an unknown one is an error naming the
    accepted labels.
    """
    index: dict[str, E] = {}
    for known in members:
        index[_fold(known.name)] = known
        index[_fold(str(known.value))] = known
    chosen: set[E] = set()
    for text in given:
        member = index.get(_fold(text))
        if member is None:
            accepted = ", ".join(f"« {m.value} »" for m in members)
            fail(f"{kind} inconnu(e) : « {text} ». Valeurs acceptées : {accepted}.")
        chosen.add(member)
    return frozenset(chosen)


def known_school(app: EduConnect, uai: str) -> School:
    """The school `uai` names in the base; an error naming the known schools otherwise."""
    from educonnect_core import Uai

    code = Uai.parse(uai)
    with app.runtime.storage.unit_of_work() as uow:
        schools = list(uow.directory.schools(None))
    for school in schools:
        if school.uai == code:
            return school
    known = ", ".join(f"{s.uai} ({s.name})" for s in schools[:20]) or "aucune"
    more = f" et {len(schools) - 20} autres" if len(schools) > 20 else ""
    return fail(f"L'école {code} n'est pas dans la base. Écoles connues : {known}{more}.")


def _classes(app: EduConnect, school: School) -> list[SchoolClass]:
    with app.runtime.storage.unit_of_work() as uow:
        return list(uow.directory.classes(school.uai))


@attrs.frozen
class Criteria:
    """The selection criteria as typed; `selection` checks them against the base."""

    text: str = ""
    classes: Sequence[str] = ()
    states: Sequence[str] = ()
    email: YesNo | None = None
    origins: Sequence[str] = ()

    def selection(
        self,
        app: EduConnect,
        school: School,
        *,
        logins: Iterable[str] = (),
        sort: str | None = None,
        descending: bool = False,
        page: int = 1,
        page_size: int = 50,
    ) -> Selection:
        """The `Selection` of these criteria in `school`; unknown values are errors."""
        from educonnect_core import AccountState, Origin, Selection, SortColumn

        class_ids: set[str] = set()
        if self.classes:
            known = _classes(app, school)
            by_name = {_fold(c.name): c.class_id for c in known}
            ids = {c.class_id for c in known}
            for text in self.classes:
                found = text if text in ids else by_name.get(_fold(text))
                if found is None:
                    names = ", ".join(f"« {c.name} »" for c in known) or "aucune"
                    fail(
                        f"Classe inconnue dans l'école {school.uai} : « {text} ». "
                        f"Classes de l'école : {names}."
                    )
                class_ids.add(found)
        return Selection(
            text=self.text,
            class_ids=frozenset(class_ids),
            states=_choose("État de compte", self.states, list(AccountState)),
            has_email=None if self.email is None else self.email in (YesNo.oui, YesNo.yes),
            origins=_choose("Origine du compte", self.origins, list(Origin)),
            logins=frozenset(logins),
            sort=next(iter(_choose("Colonne de tri", [sort], list(SortColumn))))
            if sort
            else SortColumn.PUPIL,
            descending=descending,
            page=page,
            page_size=page_size,
        )
