"""The pages' own words in English, Swedish and Danish; states and transitions label themselves."""

from __future__ import annotations

LANGUAGES = ("en", "sv", "da")

WORDS: dict[str, dict[str, str]] = {
    "sign_in": {"en": "Sign in", "sv": "Logga in", "da": "Log ind"},
    "sign_out": {"en": "Sign out", "sv": "Logga ut", "da": "Log ud"},
    "token": {"en": "Your API token", "sv": "Din API-nyckel", "da": "Din API-nøgle"},
    "token_help": {
        "en": "Ask an administrator for one (grantflow tokens create).",
        "sv": "Be en administratör om en (grantflow tokens create).",
        "da": "Bed en administrator om en (grantflow tokens create).",
    },
    "bad_token": {
        "en": "That token is unknown or revoked.",
        "sv": "Nyckeln är okänd eller återkallad.",
        "da": "Nøglen er ukendt eller tilbagekaldt.",
    },
    "inbox": {"en": "Inbox", "sv": "Inkorg", "da": "Indbakke"},
    "cases": {"en": "Cases", "sv": "Ärenden", "da": "Sager"},
    "case": {"en": "Case", "sv": "Ärende", "da": "Sag"},
    "programme": {"en": "Programme", "sv": "Program", "da": "Program"},
    "programmes": {"en": "Programmes", "sv": "Program", "da": "Programmer"},
    "state": {"en": "State", "sv": "Status", "da": "Status"},
    "organisation": {"en": "Organisation", "sv": "Organisation", "da": "Organisation"},
    "all": {"en": "All", "sv": "Alla", "da": "Alle"},
    "needs_me": {"en": "Needs me", "sv": "Väntar på mig", "da": "Venter på mig"},
    "filter": {"en": "Filter", "sv": "Filtrera", "da": "Filtrér"},
    "title": {"en": "Title", "sv": "Rubrik", "da": "Titel"},
    "reference": {"en": "Reference", "sv": "Diarienummer", "da": "Journalnummer"},
    "updated": {"en": "Updated", "sv": "Ändrad", "da": "Ændret"},
    "requested": {"en": "Requested", "sv": "Sökt", "da": "Ansøgt"},
    "granted": {"en": "Granted", "sv": "Beviljat", "da": "Bevilget"},
    "disbursed": {"en": "Disbursed", "sv": "Utbetalt", "da": "Udbetalt"},
    "eligible_spent": {
        "en": "Eligible spent",
        "sv": "Stödberättigande kostnader",
        "da": "Tilskudsberettigede udgifter",
    },
    "to_repay": {"en": "To repay", "sv": "Att återbetala", "da": "Til tilbagebetaling"},
    "balance_due": {
        "en": "Still to pay out",
        "sv": "Kvar att betala ut",
        "da": "Mangler udbetaling",
    },
    "repaid": {"en": "Repaid", "sv": "Återbetalt", "da": "Tilbagebetalt"},
    "parties": {"en": "Parties", "sv": "Parter", "da": "Parter"},
    "lead": {"en": "lead", "sv": "huvudsökande", "da": "ansvarlig"},
    "amounts": {"en": "Amounts", "sv": "Belopp", "da": "Beløb"},
    "deadlines": {"en": "Deadlines", "sv": "Tidsfrister", "da": "Frister"},
    "due": {"en": "Due", "sv": "Förfaller", "da": "Forfalder"},
    "left": {"en": "Time left", "sv": "Tid kvar", "da": "Tid tilbage"},
    "overdue": {"en": "overdue", "sv": "försenad", "da": "overskredet"},
    "attachments": {"en": "Attachments", "sv": "Bilagor", "da": "Bilag"},
    "upload": {"en": "Upload", "sv": "Ladda upp", "da": "Upload"},
    "actions": {"en": "What you can do", "sv": "Vad du kan göra", "da": "Hvad du kan gøre"},
    "no_actions": {
        "en": "Nothing for you to do in this state.",
        "sv": "Inget för dig att göra i detta läge.",
        "da": "Intet for dig at gøre i denne status.",
    },
    "refused": {"en": "Refused", "sv": "Avvisat", "da": "Afvist"},
    "done": {"en": "Done", "sv": "Klart", "da": "Udført"},
    "history": {"en": "History", "sv": "Historik", "da": "Historik"},
    "as_of": {"en": "As of", "sv": "Per datum", "da": "Pr. dato"},
    "show": {"en": "Show", "sv": "Visa", "da": "Vis"},
    "as_it_stood": {
        "en": "The case as it stood",
        "sv": "Ärendet som det såg ut",
        "da": "Sagen som den så ud",
    },
    "not_yet": {
        "en": "The case did not exist yet.",
        "sv": "Ärendet fanns inte ännu.",
        "da": "Sagen fandtes endnu ikke.",
    },
    "verify": {
        "en": "Verify the audit chain",
        "sv": "Verifiera granskningskedjan",
        "da": "Verificér revisionskæden",
    },
    "verified": {
        "en": "The audit chain verifies",
        "sv": "Granskningskedjan är obruten",
        "da": "Revisionskæden er intakt",
    },
    "broken": {
        "en": "The audit chain is broken at event",
        "sv": "Granskningskedjan är bruten vid händelse",
        "da": "Revisionskæden er brudt ved hændelse",
    },
    "events": {"en": "events", "sv": "händelser", "da": "hændelser"},
    "who": {"en": "Who", "sv": "Vem", "da": "Hvem"},
    "when": {"en": "When", "sv": "När", "da": "Hvornår"},
    "what": {"en": "What", "sv": "Vad", "da": "Hvad"},
    "inputs": {"en": "Inputs", "sv": "Uppgifter", "da": "Oplysninger"},
    "reason": {"en": "Reason", "sv": "Motivering", "da": "Begrundelse"},
    "diagram": {"en": "Lifecycle", "sv": "Livscykel", "da": "Livscyklus"},
    "dashboard": {"en": "Dashboard", "sv": "Översikt", "da": "Oversigt"},
    "pool": {"en": "Pool", "sv": "Ram", "da": "Pulje"},
    "committed": {"en": "Committed", "sv": "Beslutat", "da": "Givet tilsagn"},
    "pool_left": {"en": "Left", "sv": "Kvar", "da": "Tilbage"},
    "next_30_days": {
        "en": "Deadlines in the next 30 days",
        "sv": "Tidsfrister de närmaste 30 dagarna",
        "da": "Frister de næste 30 dage",
    },
    "export_csv": {
        "en": "Export cases (CSV)",
        "sv": "Exportera ärenden (CSV)",
        "da": "Eksportér sager (CSV)",
    },
    "per_state": {"en": "Cases per state", "sv": "Ärenden per status", "da": "Sager pr. status"},
    "first_page": {"en": "First page", "sv": "Första sidan", "da": "Første side"},
    "next": {"en": "Next", "sv": "Nästa", "da": "Næste"},
    "page": {"en": "Page", "sv": "Sida", "da": "Side"},
    "of": {"en": "of", "sv": "av", "da": "af"},
    "none": {"en": "None", "sv": "Inga", "da": "Ingen"},
    "notifications": {
        "en": "Flags and reminders",
        "sv": "Flaggor och påminnelser",
        "da": "Flag og påmindelser",
    },
    "cost_lines_help": {
        "en": "One line per row: budget line | category | amount",
        "sv": "En rad per post: budgetpost | kategori | belopp",
        "da": "Én linje pr. post: budgetpost | kategori | beløb",
    },
    "created": {"en": "Case created", "sv": "Ärendet registrerat", "da": "Sagen oprettet"},
    "deadline_flagged": {
        "en": "Deadline passed (flagged)",
        "sv": "Tidsfrist passerad (flaggad)",
        "da": "Frist passeret (markeret)",
    },
    "deadline_cancelled": {
        "en": "Deadline cancelled",
        "sv": "Tidsfrist avbruten",
        "da": "Frist annulleret",
    },
    "attachment_added": {"en": "Attachment added", "sv": "Bilaga tillagd", "da": "Bilag tilføjet"},
    "programme_registered": {
        "en": "Programme file registered",
        "sv": "Programfil registrerad",
        "da": "Programfil registreret",
    },
    "refusal": {"en": "Refused attempt", "sv": "Avvisat försök", "da": "Afvist forsøg"},
    "not_found": {
        "en": "Not found, or not yours to see.",
        "sv": "Finns inte, eller är inte ditt att se.",
        "da": "Findes ikke, eller er ikke din at se.",
    },
    "csrf": {
        "en": "The form was stale or forged; nothing was changed. Please try again.",
        "sv": "Formuläret var inaktuellt eller förfalskat; inget ändrades. Försök igen.",
        "da": "Formularen var forældet eller forfalsket; intet blev ændret. Prøv igen.",
    },
}


def words(language: str) -> dict[str, str]:
    """Every word in `language`, falling back to English where a translation is missing."""
    return {key: texts.get(language) or texts["en"] for key, texts in WORDS.items()}
