"""The change-request section's words in English, Swedish and Danish (docs/AMENDMENTS.md)."""

from __future__ import annotations

AMENDMENTS: dict[str, dict[str, str]] = {
    "amendments": {
        "en": "Change requests",
        "sv": "Ändringsansökningar",
        "da": "Ændringsanmodninger",
    },
    "amendment_kind": {
        "en": "What to change",
        "sv": "Vad som ska ändras",
        "da": "Hvad der skal ændres",
    },
    "ask_amendment": {"en": "Ask for a change", "sv": "Ansök om ändring", "da": "Anmod om ændring"},
    "new_period_end": {"en": "New end of the period", "sv": "Nytt slutdatum", "da": "Ny slutdato"},
    "from_line": {"en": "From budget line", "sv": "Från budgetpost", "da": "Fra budgetpost"},
    "to_line": {"en": "To budget line", "sv": "Till budgetpost", "da": "Til budgetpost"},
    "amount": {"en": "Amount", "sv": "Belopp", "da": "Beløb"},
    "new_email": {"en": "New address", "sv": "Ny adress", "da": "Ny adresse"},
    "recommend": {"en": "Recommendation", "sv": "Rekommendation", "da": "Indstilling"},
    "recommend_approve": {"en": "Approve", "sv": "Bifall", "da": "Imødekom"},
    "recommend_refuse": {"en": "Refuse", "sv": "Avslå", "da": "Afslå"},
    "assess": {"en": "Assess", "sv": "Bedöm", "da": "Vurdér"},
    "note": {"en": "Note", "sv": "Anteckning", "da": "Notat"},
    "approve_change": {
        "en": "Approve the change",
        "sv": "Bevilja ändringen",
        "da": "Godkend ændringen",
    },
    "refuse_change": {"en": "Refuse the change", "sv": "Avslå ändringen", "da": "Afslå ændringen"},
    "amendment_status_requested": {
        "en": "waits for assessment",
        "sv": "väntar på bedömning",
        "da": "afventer vurdering",
    },
    "amendment_status_assessed": {
        "en": "waits for a decision",
        "sv": "väntar på beslut",
        "da": "afventer afgørelse",
    },
    "amendment_status_approved": {"en": "approved", "sv": "beviljad", "da": "godkendt"},
    "amendment_status_refused": {"en": "refused", "sv": "avslagen", "da": "afslået"},
    "on_submission": {
        "en": "approved on submission by the programme's rule",
        "sv": "beviljad direkt enligt programmets regel",
        "da": "godkendt ved indsendelse efter programmets regel",
    },
}
