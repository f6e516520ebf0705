"""The pages' own words in English, Swedish and Danish; states and transitions label themselves."""

from __future__ import annotations

from services.web.i18n_amendments import AMENDMENTS
from services.web.i18n_checklist import CHECKLIST
from services.web.i18n_privacy import PRIVACY
from services.web.i18n_statement import STATEMENT

LANGUAGES = ("en", "sv", "da")
# Each language named in itself, for the language links: a screen reader says "Svenska", not "S V".
LANGUAGE_NAMES = {"en": "English", "sv": "Svenska", "da": "Dansk"}

WORDS: dict[str, dict[str, str]] = {
    "sign_in": {"en": "Sign in", "sv": "Logga in", "da": "Log ind"},
    "sign_out": {"en": "Sign out", "sv": "Logga ut", "da": "Log ud"},
    "token": {"en": "Your API token", "sv": "Din API-nyckel", "da": "Din API-nøgle"},
    "token_help": {
        "en": "Ask an administrator for one (grantflow tokens create).",
        "sv": "Be en administratör om en (grantflow tokens create).",
        "da": "Bed en administrator om en (grantflow tokens create).",
    },
    "sign_in_agency": {
        "en": "Sign in through your organisation",
        "sv": "Logga in via din organisation",
        "da": "Log ind via din organisation",
    },
    "sign_in_refused": {
        "en": "You could not be signed in",
        "sv": "Du kunde inte loggas in",
        "da": "Du kunne ikke logges ind",
    },
    "sign_in_refused_help": {
        "en": "Nothing was changed. The refusal is on record; your organisation's administrator can give you access.",
        "sv": "Inget har ändrats. Nekandet är registrerat; din organisations administratör kan ge dig behörighet.",
        "da": "Intet er ændret. Afvisningen er registreret; din organisations administrator kan give dig adgang.",
    },
    "no_sign_in": {
        "en": "No way to sign in is set up: ask the service's administrator.",
        "sv": "Inget sätt att logga in är inställt: fråga tjänstens administratör.",
        "da": "Der er ikke sat nogen måde at logge ind op: spørg tjenestens administrator.",
    },
    "bad_token": {
        "en": "That token is unknown or revoked.",
        "sv": "Nyckeln är okänd eller återkallad.",
        "da": "Nøglen er ukendt eller tilbagekaldt.",
    },
    "inbox": {"en": "Inbox", "sv": "Inkorg", "da": "Indbakke"},
    "incidents": {"en": "Incidents", "sv": "Incidenter", "da": "Hændelser"},
    "incidents_help": {
        "en": "Deadlines that could not fire, programme files that could not be loaded and mail that could not be sent. Everything else went on; each of these waits for you.",
        "sv": "Tidsfrister som inte kunde verkställas, programfiler som inte kunde läsas in och e-post som inte kunde skickas. Allt annat har fortsatt; var och en av dessa väntar på dig.",
        "da": "Frister, der ikke kunne udføres, programfiler, der ikke kunne indlæses, og post, der ikke kunne sendes. Alt andet er fortsat; hver af disse venter på dig.",
    },
    "no_incidents": {
        "en": "Nothing waits: no open incidents.",
        "sv": "Inget väntar: inga öppna incidenter.",
        "da": "Intet venter: ingen åbne hændelser.",
    },
    "error": {"en": "Error", "sv": "Fel", "da": "Fejl"},
    "attempts": {"en": "Attempts", "sv": "Försök", "da": "Forsøg"},
    "outcome": {"en": "Outcome", "sv": "Utfall", "da": "Udfald"},
    "last_seen": {"en": "Last seen", "sv": "Senast", "da": "Senest"},
    "retry": {"en": "Retry", "sv": "Försök igen", "da": "Prøv igen"},
    "resend_mail": {
        "en": "Send it again (it may arrive twice)",
        "sv": "Skicka igen (det kan komma fram två gånger)",
        "da": "Send igen (den kan nå frem to gange)",
    },
    "cancel_mail": {"en": "Do not send it", "sv": "Skicka inte", "da": "Send den ikke"},
    "my_mail": {"en": "My mail", "sv": "Min e-post", "da": "Min post"},
    "my_mail_help": {
        "en": "What grantflow sends you, and how. Decisions always come at once; events can come as one summary each morning; reminders can be turned off.",
        "sv": "Det grantflow skickar till dig, och hur. Beslut kommer alltid direkt; händelser kan komma som en sammanfattning varje morgon; påminnelser kan stängas av.",
        "da": "Det, grantflow sender dig, og hvordan. Afgørelser kommer altid med det samme; hændelser kan komme som ét overblik hver morgen; påmindelser kan slås fra.",
    },
    "email": {"en": "E-mail address", "sv": "E-postadress", "da": "E-mailadresse"},
    "mail_language": {"en": "Language of mail", "sv": "Språk i e-posten", "da": "Sprog i posten"},
    "digest": {
        "en": "One summary each morning instead of a mail for each event",
        "sv": "En sammanfattning varje morgon i stället för ett mejl per händelse",
        "da": "Ét overblik hver morgen i stedet for en mail pr. hændelse",
    },
    "reminders": {
        "en": "Reminders before deadlines",
        "sv": "Påminnelser före tidsfrister",
        "da": "Påmindelser før frister",
    },
    "save": {"en": "Save", "sv": "Spara", "da": "Gem"},
    "saved": {"en": "Saved.", "sv": "Sparat.", "da": "Gemt."},
    "move_to": {"en": "Move to", "sv": "Flytta till", "da": "Flyt til"},
    "cancel_deadline": {
        "en": "Cancel the deadline",
        "sv": "Stryk tidsfristen",
        "da": "Annullér fristen",
    },
    "show_resolved": {"en": "Show resolved too", "sv": "Visa även lösta", "da": "Vis også løste"},
    "cases": {"en": "Cases", "sv": "Ärenden", "da": "Sager"},
    "case": {"en": "Case", "sv": "Ärende", "da": "Sag"},
    "programme": {"en": "Programme", "sv": "Program", "da": "Program"},
    "programmes": {"en": "Programmes", "sv": "Program", "da": "Programmer"},
    "state": {"en": "State", "sv": "Status", "da": "Status"},
    "organisation": {"en": "Organisation", "sv": "Organisation", "da": "Organisation"},
    "all": {"en": "All", "sv": "Alla", "da": "Alle"},
    "needs_me": {"en": "Needs me", "sv": "Väntar på mig", "da": "Venter på mig"},
    "filter": {"en": "Filter", "sv": "Filtrera", "da": "Filtrér"},
    "search": {"en": "Search", "sv": "Sök", "da": "Søg"},
    "search_hint": {
        "en": "title or reference",
        "sv": "rubrik eller referens",
        "da": "titel eller reference",
    },
    "title": {"en": "Title", "sv": "Rubrik", "da": "Titel"},
    "reference": {"en": "Reference", "sv": "Referens", "da": "Reference"},
    "registry_number": {"en": "Registry number", "sv": "Diarienummer", "da": "Journalnummer"},
    "register": {
        "en": "Registered documents",
        "sv": "Diarieförda handlingar",
        "da": "Journaliserede dokumenter",
    },
    "direction": {"en": "In/out", "sv": "In/ut", "da": "Ind/ud"},
    "direction_in": {"en": "In", "sv": "Inkommen", "da": "Indgående"},
    "direction_out": {"en": "Out", "sv": "Utgående", "da": "Udgående"},
    "document": {"en": "Document", "sv": "Handling", "da": "Dokument"},
    "registered": {"en": "Registered", "sv": "Registrerad", "da": "Journaliseret"},
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
    "more_than": {"en": "more than", "sv": "fler än", "da": "flere end"},
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
    "invited_partners": {
        "en": "Invited, not yet confirmed",
        "sv": "Inbjudna, ännu inte bekräftade",
        "da": "Inviteret, endnu ikke bekræftet",
    },
    "confirm_partner": {"en": "Confirm", "sv": "Bekräfta", "da": "Bekræft"},
    "attachment": {"en": "File added", "sv": "Fil tillagd", "da": "Fil tilføjet"},
    "partner_confirmed": {
        "en": "Partner confirmed the joint application",
        "sv": "Partner bekräftade den gemensamma ansökan",
        "da": "Partner bekræftede den fælles ansøgning",
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
    "skip_to_content": {
        "en": "Skip to content",
        "sv": "Hoppa till innehållet",
        "da": "Spring til indhold",
    },
    "main_menu": {"en": "Main menu", "sv": "Huvudmeny", "da": "Hovedmenu"},
    "language": {"en": "Language", "sv": "Språk", "da": "Sprog"},
    "accessibility": {
        "en": "Accessibility statement",
        "sv": "Tillgänglighetsredogörelse",
        "da": "Tilgængelighedserklæring",
    },
    "file_kind": {"en": "Kind of file", "sv": "Typ av fil", "da": "Filtype"},
    "file": {"en": "File", "sv": "Fil", "da": "Fil"},
    "show_refusals": {
        "en": "Show refused attempts",
        "sv": "Visa avvisade försök",
        "da": "Vis afviste forsøg",
    },
    "hide_refusals": {
        "en": "Hide refused attempts",
        "sv": "Dölj avvisade försök",
        "da": "Skjul afviste forsøg",
    },
    "details": {"en": "Details", "sv": "Detaljer", "da": "Detaljer"},
    "diagram_alt": {
        "en": "The lifecycle of a grant case as a diagram; the same as text in the table below.",
        "sv": "Ett bidragsärendes livscykel som diagram; samma sak som text i tabellen nedan.",
        "da": "En tilskudssags livscyklus som diagram; det samme som tekst i tabellen nedenfor.",
    },
    "diagram_alt_case": {
        "en": "The lifecycle of a grant case as a diagram, with the way this case came; it is now in the state",
        "sv": "Ett bidragsärendes livscykel som diagram, med den väg ärendet har gått; det har nu status",
        "da": "En tilskudssags livscyklus som diagram, med den vej sagen er gået; den har nu status",
    },
    "diagram_as_text": {
        "en": "The lifecycle as text",
        "sv": "Livscykeln som text",
        "da": "Livscyklussen som tekst",
    },
    "from_state": {"en": "From", "sv": "Från", "da": "Fra"},
    "to_state": {"en": "To", "sv": "Till", "da": "Til"},
    "transition": {"en": "Step", "sv": "Åtgärd", "da": "Handling"},
    "may_do_it": {"en": "Who may", "sv": "Vem får", "da": "Hvem må"},
    "entry_state": {
        "en": "A case starts in",
        "sv": "Ett ärende börjar i",
        "da": "En sag begynder i",
    },
    "role_applicant": {"en": "applicant", "sv": "sökande", "da": "ansøger"},
    "role_caseworker": {"en": "caseworker", "sv": "handläggare", "da": "sagsbehandler"},
    "role_approver": {"en": "approver", "sv": "beslutsfattare", "da": "beslutningstager"},
    "role_auditor": {"en": "auditor", "sv": "revisor", "da": "revisor"},
    "role_admin": {"en": "administrator", "sv": "administratör", "da": "administrator"},
    "role_system": {
        "en": "system (deadlines)",
        "sv": "systemet (tidsfrister)",
        "da": "systemet (frister)",
    },
    "role_anonymous": {"en": "not signed in", "sv": "ej inloggad", "da": "ikke logget ind"},
    "csrf": {
        "en": "The form was stale or forged; nothing was changed. Please try again.",
        "sv": "Formuläret var inaktuellt eller förfalskat; inget ändrades. Försök igen.",
        "da": "Formularen var forældet eller forfalsket; intet blev ændret. Prøv igen.",
    },
}


def words(language: str) -> dict[str, str]:
    """Every word in `language`, falling back to English where a translation is missing."""
    return {
        key: texts.get(language) or texts["en"]
        for key, texts in (WORDS | STATEMENT | PRIVACY | AMENDMENTS | CHECKLIST).items()
    }
