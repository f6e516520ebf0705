"""The personal-data page's words in English, Swedish and Danish (docs/PRIVACY.md)."""

from __future__ import annotations

PRIVACY: dict[str, dict[str, str]] = {
    "privacy": {"en": "Personal data", "sv": "Personuppgifter", "da": "Personoplysninger"},
    "privacy_help": {
        "en": "Erasures the retention review proposes, and the legal holds that keep data from erasure. An erased person's name and words read as [erased]; the audit log still verifies.",
        "sv": "Gallringar som granskningen av bevarandetider föreslår, och de rättsliga spärrar som hindrar gallring. En gallrad persons namn och text visas som [erased]; loggen går fortfarande att verifiera.",
        "da": "Sletninger, som gennemgangen af opbevaringsfrister foreslår, og de retlige spærringer, der forhindrer sletning. En slettet persons navn og tekst vises som [erased]; loggen kan stadig verificeres.",
    },
    "erasure_proposals": {
        "en": "Erasures proposed",
        "sv": "Föreslagna gallringar",
        "da": "Foreslåede sletninger",
    },
    "no_proposals": {
        "en": "No erasure waits for a decision.",
        "sv": "Ingen gallring väntar på beslut.",
        "da": "Ingen sletning venter på en afgørelse.",
    },
    "person": {"en": "Person", "sv": "Person", "da": "Person"},
    "grounds": {"en": "Grounds", "sv": "Skäl", "da": "Begrundelse"},
    "approve_erasure": {"en": "Erase", "sv": "Gallra", "da": "Slet"},
    "refuse_erasure": {"en": "Keep", "sv": "Behåll", "da": "Behold"},
    "legal_holds": {"en": "Legal holds", "sv": "Rättsliga spärrar", "da": "Retlige spærringer"},
    "no_holds": {
        "en": "No legal hold is in force.",
        "sv": "Ingen rättslig spärr gäller.",
        "da": "Ingen retlig spærring er i kraft.",
    },
    "place_hold": {"en": "Place a hold", "sv": "Lägg en spärr", "da": "Indfør en spærring"},
    "lift_hold": {"en": "Lift", "sv": "Häv", "da": "Ophæv"},
    "user_id": {"en": "User number", "sv": "Användarnummer", "da": "Brugernummer"},
    "case_number": {"en": "Case number", "sv": "Ärendenummer", "da": "Sagsnummer"},
    "hold_on": {"en": "On", "sv": "Gäller", "da": "Gælder"},
    "placed": {"en": "Placed", "sv": "Lagd", "da": "Indført"},
}
