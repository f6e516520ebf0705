"""The assessment checklist's words on the case page, in English, Swedish and Danish."""

from __future__ import annotations

CHECKLIST: dict[str, dict[str, str]] = {
    "checklist": {"en": "Assessment checklist", "sv": "Bedömning", "da": "Vurdering"},
    "checklist_help": {
        "en": "What the programme asks to be assessed. The decision waits until each criterion is met.",
        "sv": "Det programmet kräver ska bedömas. Beslutet väntar tills varje kriterium är uppfyllt.",
        "da": "Det, programmet kræver vurderet. Tilsagnet venter, til hvert kriterium er opfyldt.",
    },
    "checklist_met": {"en": "Met", "sv": "Uppfyllt", "da": "Opfyldt"},
    "checklist_unmet": {"en": "Not met", "sv": "Ej uppfyllt", "da": "Ikke opfyldt"},
    "checklist_answer": {"en": "Answer", "sv": "Svar", "da": "Svar"},
    "checklist_note": {"en": "Note", "sv": "Anteckning", "da": "Notat"},
    "checklist_save": {"en": "Save the answer", "sv": "Spara svaret", "da": "Gem svaret"},
    "checklist_yes": {"en": "Yes", "sv": "Ja", "da": "Ja"},
    "checklist_no": {"en": "No", "sv": "Nej", "da": "Nej"},
    "checklist_names_help": {
        "en": "One a line.",
        "sv": "En per rad.",
        "da": "Én pr. linje.",
    },
    "checklist_at_least": {"en": "at least", "sv": "minst", "da": "mindst"},
    "checklist_source": {"en": "Source", "sv": "Källa", "da": "Kilde"},
    "checklist_answered_by": {"en": "Answered by", "sv": "Besvarat av", "da": "Besvaret af"},
    "checklist_answered": {
        "en": "Checklist answer saved",
        "sv": "Svaret har sparats",
        "da": "Svaret er gemt",
    },
}
