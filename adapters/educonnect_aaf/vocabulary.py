"""The attribute names the AAF1D reader knows, per record type (edificeio/entcore's
`dictionary/mapping/aaf1d/*.json`, plus the operational attributes). Any other name is reported
as unknown, never fatal.
"""

from __future__ import annotations

from typing import Final

__all__ = ["KNOWN_ATTRIBUTES"]

_PERSON: Final = frozenset(
    {
        "ENTPersonJointure",
        "ENTPersonDateNaissance",
        "ENTPersonNom",
        "ENTPersonPrenom",
        "ENTPersonAutresPrenoms",
        "ENTPersonNomPatro",
        "ENTPersonCivilite",
        "ENTPersonMail",
        "categoriePersonne",
    }
)

KNOWN_ATTRIBUTES: Final[dict[str, frozenset[str]]] = {
    "EtabEducNat": frozenset(
        {
            "ENTStructureJointure",
            "ENTStructureUAI",
            "ENTStructureSIREN",
            "ENTStructureNomCourant",
            "ENTStructureTypeStruct",
            "ENTStructureCodeTypeStruct",
            "ENTEcoleMinistereTutelle",
            "ENTEcoleCodeMinistereTutelle",
            "ENTEtablissementContrat",
            "ENTStructureBoitePostale",
            "ENTStructureAdresse",
            "ENTStructureCodePostal",
            "ENTStructureVille",
            "ENTStructureTelephone",
            "ENTStructureFax",
            "ENTServAcAcademie",
            "ENTServAcCodeAcademie",
            "ENTEcoleSecteur",
            "ENTEcoleCirconscription",
            "ENTEcoleCommune",
            "ENTEcoleRPI",
            "ENTStructureEmail",
            "ENTStructureMailSI",
            "categorieStructure",
        }
    ),
    "Eleve": _PERSON
    | {
        "ENTEleveINE",
        "ENTEleveAutoriteParentale",
        "ENTPersonStructRattach",
        "ENTPersonClasses",
        "ENTPersonGroupes",
        "ENTEleveNiveau",
        "ENTEleveCycle",
        "ENTEleveTypeClasse",
        "ENTEleveDateEntreeClasses",
        "ENTEleveDateSortieClasses",
        "ENTEleveDateEntreeStructRattach",
        "ENTEleveDateSortieStructRattach",
        "ENTEleveRestaurantScolaire",
        "ENTEleveTransport",
        "ENTEleveGarderieMatin",
        "ENTEleveGarderieSoir",
        "ENTEleveEtudesSurveillees",
    },
    "PersRelEleve": _PERSON
    | {
        "ENTPersonTelPerso",
        "ENTPersRelEleveTelPro",
        "ENTPersonAdresse",
        "ENTPersonCodePostal",
        "ENTPersonVille",
        "ENTPersonPays",
        "ENTPersonAdresseDiffusion",
        "ENTPersRelEleveTelMobile",
        "ENTPersRelEleveEleve",
    },
}
