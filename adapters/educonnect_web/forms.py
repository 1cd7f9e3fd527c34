"""The Responsables search as request parameters: one reader for the pages, the API and the
hidden fields that carry a search through a confirmation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, TypeVar
from urllib.parse import urlencode

from educonnect_core import AccountState, InvalidField, Origin, Selection, SortColumn

__all__ = ["MultiMap", "as_multimap", "search_pairs", "search_query", "selection_from"]


class MultiMap(Protocol):
    """Query parameters or form fields: several values per name."""

    def getlist(self, key: str) -> Sequence[object]:
        """Every value given for `key`."""
        ...


def _strings(params: MultiMap, key: str) -> list[str]:
    return [v for v in params.getlist(key) if isinstance(v, str) and v]


E = TypeVar("E", AccountState, Origin, SortColumn)


def _enum_names(kind: type[E], values: list[str], field: str) -> list[E]:
    try:
        return [kind[v] for v in values]
    except KeyError as error:
        raise InvalidField("recherche", field, f"valeur inconnue {error.args[0]!r}") from None


def selection_from(params: MultiMap, page_size: int, *, logins: bool = False) -> Selection:
    """The `Selection` of the parameters ``texte``, ``classe``, ``etat``, ``mail`` (oui, non),
    ``origine``, ``tri``, ``ordre`` (desc), ``page``; with `logins`, also the ticked ``login``.
    """
    text = (_strings(params, "texte") or [""])[0]
    mail = (_strings(params, "mail") or [""])[0]
    sort = (_strings(params, "tri") or ["PUPIL"])[0]
    page_text = (_strings(params, "page") or ["1"])[0]
    if not page_text.isdigit() or len(page_text) > 6:
        raise InvalidField("recherche", "page", "nombre entier attendu")
    return Selection(
        text=text.strip(),
        class_ids=frozenset(_strings(params, "classe")),
        states=frozenset(_enum_names(AccountState, _strings(params, "etat"), "état")),
        has_email={"oui": True, "non": False}.get(mail),
        origins=frozenset(_enum_names(Origin, _strings(params, "origine"), "origine")),
        logins=frozenset(_strings(params, "login")) if logins else frozenset(),
        sort=_enum_names(SortColumn, [sort], "tri")[0],
        descending=(_strings(params, "ordre") or [""])[0] == "desc",
        page=max(1, int(page_text)),
        page_size=page_size,
    )


def search_pairs(selection: Selection) -> list[tuple[str, str]]:
    """The parameters that give `selection` back (without the ticked logins)."""
    pairs: list[tuple[str, str]] = []
    if selection.text:
        pairs.append(("texte", selection.text))
    pairs += [("classe", c) for c in sorted(selection.class_ids)]
    pairs += [("etat", s.name) for s in AccountState if s in selection.states]
    if selection.has_email is not None:
        pairs.append(("mail", "oui" if selection.has_email else "non"))
    pairs += [("origine", o.name) for o in Origin if o in selection.origins]
    if selection.sort is not SortColumn.PUPIL:
        pairs.append(("tri", selection.sort.name))
    if selection.descending:
        pairs.append(("ordre", "desc"))
    return pairs


def search_query(
    selection: Selection, pairs: Sequence[tuple[str, str]] | None = None, **changes: str | int
) -> str:
    """The query string of `selection` (whose `search_pairs` may be given, computed once for
    a page's many links), with `changes` (``page``, ``tri``, ``ordre``) applied.
    """
    kept = search_pairs(selection) if pairs is None else pairs
    query = [(k, v) for k, v in kept if k not in changes]
    query += [(k, str(v)) for k, v in changes.items() if v != ""]
    return urlencode(query)


def as_multimap(data: Mapping[str, Sequence[str]]) -> MultiMap:
    """A plain mapping of lists as a `MultiMap` (tests, JSON bodies)."""

    class _Map:
        def getlist(self, key: str) -> Sequence[object]:
            return data.get(key, [])

    return _Map()
