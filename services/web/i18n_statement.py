"""The accessibility statement's words in English, Swedish and Danish (WCAG 2.1 AA, EN 301 549).

Kept apart from the pages' short words because it is prose, and is reviewed as prose: whoever
changes what the tests check, or what a known limitation is, changes this text in the same commit.
"""

from __future__ import annotations

STATEMENT: dict[str, dict[str, str]] = {
    "st_intro": {
        "en": "The agency that runs this service wants as many people as possible to be able to use it. This statement says how well the pages meet the accessibility requirements, what we know does not work yet, and how to tell us about a problem so that we can fix it.",
        "sv": "Myndigheten som driver den här tjänsten vill att så många som möjligt ska kunna använda den. Här beskriver vi hur väl sidorna uppfyller kraven på tillgänglighet, vilka brister vi känner till och hur du kan meddela oss om problem så att vi kan åtgärda dem.",
        "da": "Myndigheden, der driver denne tjeneste, ønsker, at så mange som muligt kan bruge den. Her beskriver vi, hvor godt siderne lever op til kravene om tilgængelighed, hvilke mangler vi kender til, og hvordan du kan give os besked om et problem, så vi kan rette det.",
    },
    "st_status": {
        "en": "How accessible the service is",
        "sv": "Hur tillgänglig är tjänsten?",
        "da": "Overholdelsesstatus",
    },
    "st_status_text": {
        "en": "The pages aim at WCAG 2.1 level AA, as the European standard EN 301 549 requires; in Sweden under the Act on accessibility to digital public services (2018:1937), in Denmark under the Web Accessibility Act (lov nr. 692 of 8 June 2018). The service partially meets these requirements, because of the limitations listed below.",
        "sv": "Sidorna är gjorda för att uppfylla WCAG 2.1 nivå AA, som den europeiska standarden EN 301 549 kräver enligt lagen (2018:1937) om tillgänglighet till digital offentlig service. Tjänsten är delvis förenlig med kraven, på grund av de brister som räknas upp nedan.",
        "da": "Siderne er lavet til at opfylde WCAG 2.1 niveau AA, som den europæiske standard EN 301 549 kræver efter lov nr. 692 af 8. juni 2018 om tilgængelighed af offentlige organers websteder og mobilapplikationer. Tjenesten overholder delvist kravene på grund af de mangler, der er nævnt nedenfor.",
    },
    "st_testing": {"en": "How we test", "sv": "Så har vi testat", "da": "Sådan tester vi"},
    "st_testing_text": {
        "en": "Every change is tested automatically in a real browser: axe-core checks the sign-in page, the inbox, a case, its history, a programme's dashboard, the lifecycle, the incidents and this statement, in Swedish and English, and no serious or critical fault may remain. Another test makes a grant decision with the keyboard alone. Automated tools find only some problems: the pages have not yet been reviewed by an outside expert or tested by people who use assistive technology.",
        "sv": "Varje ändring testas automatiskt i en riktig webbläsare: axe-core granskar inloggningen, inkorgen, ett ärende, dess historik, ett programs översikt, livscykeln, incidenterna och den här redogörelsen, på svenska och engelska, och inget allvarligt eller kritiskt fel får finnas kvar. Ett annat test fattar ett beslut om bidrag med enbart tangentbordet. Automatiska verktyg hittar bara en del av problemen: sidorna har ännu inte granskats av en extern expert eller testats av personer som använder hjälpmedel.",
        "da": "Hver ændring testes automatisk i en rigtig browser: axe-core gennemgår log ind-siden, indbakken, en sag, dens historik, et programs oversigt, livscyklussen, hændelserne og denne erklæring, på svensk og engelsk, og ingen alvorlig eller kritisk fejl må være tilbage. En anden test træffer en afgørelse om tilskud udelukkende med tastaturet. Automatiske værktøjer finder kun en del af problemerne: siderne er endnu ikke gennemgået af en ekstern ekspert eller testet af personer, der bruger hjælpemidler.",
    },
    "st_limits": {"en": "Known limitations", "sv": "Kända brister", "da": "Kendte mangler"},
    "st_limit_diagram": {
        "en": "The lifecycle diagram is a drawing (SVG). Its content is also on the lifecycle page as a table of steps, and a case's page gives its state and history as text.",
        "sv": "Livscykeldiagrammet är en bild (SVG). Samma innehåll finns som en tabell över åtgärderna på sidan Livscykel, och ett ärendes sida visar status och historik som text.",
        "da": "Livscyklusdiagrammet er en tegning (SVG). Det samme indhold findes som en tabel over handlingerne på siden Livscyklus, og en sags side viser status og historik som tekst.",
    },
    "st_limit_errors": {
        "en": "Only the fields of a case's step show their error next to the field; other forms say what went wrong in a message above the form.",
        "sv": "Bara fälten för en åtgärd i ett ärende visar felet vid fältet; andra formulär beskriver felet i ett meddelande ovanför formuläret.",
        "da": "Kun felterne for en handling på en sag viser fejlen ved feltet; andre formularer beskriver fejlen i en meddelelse over formularen.",
    },
    "st_limit_language": {
        "en": "Titles, notes and names that people write are shown in the language they were written in, without being marked as such, so a screen reader reads them in the page's language.",
        "sv": "Rubriker, meddelanden och namn som användare skriver visas på det språk de skrevs på, utan att vara märkta med det, så en skärmläsare läser dem med sidans språk.",
        "da": "Titler, beskeder og navne, som brugere skriver, vises på det sprog, de blev skrevet på, uden at være markeret med det, så en skærmlæser læser dem med sidens sprog.",
    },
    "st_limit_files": {
        "en": "Files that applicants upload, such as PDF documents, are not checked for accessibility.",
        "sv": "Filer som sökande laddar upp, till exempel PDF-dokument, granskas inte för tillgänglighet.",
        "da": "Filer, som ansøgere uploader, for eksempel PDF-dokumenter, kontrolleres ikke for tilgængelighed.",
    },
    "st_limit_api": {
        "en": "The API documentation (/docs) is made by a third-party tool and is not covered by these tests.",
        "sv": "API-dokumentationen (/docs) görs av ett externt verktyg och omfattas inte av testerna.",
        "da": "API-dokumentationen (/docs) laves af et eksternt værktøj og er ikke omfattet af testene.",
    },
    "st_report": {
        "en": "Report a problem",
        "sv": "Kontakta oss om du hittar brister",
        "da": "Giv os besked om et problem",
    },
    "st_report_text": {
        "en": "If something on these pages does not work for you, or you find a problem this statement does not describe, tell the agency that runs the service, and say which page it was and what happened:",
        "sv": "Om något på sidorna inte fungerar för dig, eller om du hittar en brist som inte beskrivs här, meddela myndigheten som driver tjänsten och berätta vilken sida det gällde och vad som hände:",
        "da": "Hvis noget på siderne ikke virker for dig, eller du finder en mangel, som ikke er beskrevet her, så giv myndigheden, der driver tjenesten, besked og fortæl, hvilken side det gjaldt, og hvad der skete:",
    },
    "st_no_contact": {
        "en": "your contact person at the agency that gave you access.",
        "sv": "din kontaktperson hos myndigheten som gav dig behörighet.",
        "da": "din kontaktperson hos myndigheden, der gav dig adgang.",
    },
    "st_supervision": {
        "en": "Supervision",
        "sv": "Tillsyn",
        "da": "Tilsyn og klage",
    },
    "st_supervision_se": {
        "en": "In Sweden, the Agency for Digital Government (Myndigheten för digital förvaltning, Digg) supervises the Act on accessibility to digital public services. If you are not satisfied with how we handled your report, you can tell Digg:",
        "sv": "Myndigheten för digital förvaltning (Digg) har tillsyn över lagen om tillgänglighet till digital offentlig service. Om du inte är nöjd med hur vi har hanterat dina synpunkter kan du kontakta Digg och påtala det:",
        "da": "I Sverige fører Myndigheten för digital förvaltning (Digg) tilsyn med loven om tilgængelighed til digital offentlig service. Er du ikke tilfreds med, hvordan vi har behandlet din henvendelse, kan du kontakte Digg:",
    },
    "st_supervision_dk": {
        "en": "In Denmark, the Agency for Digital Government (Digitaliseringsstyrelsen) supervises web accessibility, and you can complain to it:",
        "sv": "I Danmark har Digitaliseringsstyrelsen tillsyn över webbtillgänglighet, och dit kan du klaga:",
        "da": "Digitaliseringsstyrelsen fører tilsyn med webtilgængelighedsloven. Er du ikke tilfreds med svaret på din henvendelse, kan du klage til Digitaliseringsstyrelsen:",
    },
}
