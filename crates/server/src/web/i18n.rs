//! English and German text for the UI.

use axum::http::{HeaderMap, header};

/// A UI language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// German.
    De,
}

impl Lang {
    /// `en` or `de`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
        }
    }

    /// From `?lang=` in the query, the `sl_lang` cookie, or Accept-Language.
    pub fn from_request(uri: &axum::http::Uri, h: &HeaderMap) -> Lang {
        match uri
            .query()
            .unwrap_or_default()
            .split('&')
            .find_map(|kv| kv.strip_prefix("lang="))
        {
            Some("de") => Lang::De,
            Some("en") => Lang::En,
            _ => Lang::from_headers(h),
        }
    }

    /// From the `sl_lang` cookie or Accept-Language.
    pub fn from_headers(h: &HeaderMap) -> Lang {
        let cookie = super::cookie(h, "sl_lang");
        let accept = h
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        match cookie.as_deref() {
            Some("de") => Lang::De,
            Some("en") => Lang::En,
            _ if accept.trim_start().starts_with("de") => Lang::De,
            _ => Lang::En,
        }
    }
}

/// Looks up a text.
pub fn t(lang: Lang, key: &str) -> &'static str {
    let (en, de) = match key {
        "nav" => ("Main", "Hauptmenü"),
        "search" => ("Search", "Suche"),
        "alerts" => ("Alerts", "Alarme"),
        "transparency" => ("Transparency", "Transparenz"),
        "logout" => ("Sign out", "Abmelden"),
        "signin" => ("Sign in", "Anmelden"),
        "signin_help" => (
            "Demo users and passwords are in demo-credentials.json in the demo's data directory, and printed when the demo starts.",
            "Demo-Benutzer und Passwörter stehen in demo-credentials.json im Datenverzeichnis der Demo und werden beim Start ausgegeben.",
        ),
        "username" => ("Username", "Benutzername"),
        "password" => ("Password", "Passwort"),
        "bad_login" => (
            "Unknown username or wrong password.",
            "Unbekannter Benutzer oder falsches Passwort.",
        ),
        "purpose" => ("Purpose", "Zweck"),
        "case" => ("Case number", "Aktenzeichen"),
        "reason" => ("Reason", "Begründung"),
        "behalf" => ("On behalf of", "Im Auftrag von"),
        "nobody" => ("(my own agency)", "(eigene Behörde)"),
        "kind" => ("Query", "Abfrage"),
        "plate" => ("Plate", "Kennzeichen"),
        "colour" => ("Colour", "Farbe"),
        "vtype" => ("Vehicle type", "Fahrzeugart"),
        "picture" => ("Plate picture", "Kennzeichenbild"),
        "hours" => ("Hours back", "Stunden zurück"),
        "run" => ("Search", "Suchen"),
        "results" => ("Sightings", "Sichtungen"),
        "owners" => ("Data owners", "Datenhalter"),
        "contributed" => ("contributed", "geliefert"),
        "excluded" => ("excluded", "ausgeschlossen"),
        "map" => (
            "Map: cameras and the vehicle's path in time order",
            "Karte: Kameras und Fahrweg in zeitlicher Folge",
        ),
        "time" => ("Time", "Zeit"),
        "camera" => ("Camera", "Kamera"),
        "owner" => ("Owner", "Halter"),
        "audited" => ("Audit entry", "Protokolleintrag"),
        "live" => (
            "Live hits for your agency appear here as they happen.",
            "Treffer für Ihre Behörde erscheinen hier sofort.",
        ),
        "ack" => ("Acknowledge", "Bestätigen"),
        "list" => ("List", "Liste"),
        "outcome" => ("Outcome", "Ergebnis"),
        "none_yet" => ("No hits yet.", "Noch keine Treffer."),
        "slider" => ("Show sightings up to", "Sichtungen anzeigen bis"),
        "audit" => ("Audit", "Protokoll"),
        "x_agency_or_j" => ("Agency id or jurisdiction", "Behörden-ID oder Rechtsraum"),
        "x_case_number" => ("Case number", "Aktenzeichen"),
        "x_case" => ("Case", "Fall"),
        "x_category" => ("Category", "Kategorie"),
        "x_days_back" => ("Days back", "Tage zurück"),
        "x_display" => ("Display name", "Anzeigename"),
        "x_entries_csv" => (
            "Entries as CSV: plate,region,reason,legal_basis,expires_at",
            "Einträge als CSV: plate,region,reason,legal_basis,expires_at",
        ),
        "x_entries" => ("Entries", "Einträge"),
        "x_expires" => ("Expires", "Läuft ab"),
        "x_grantee" => ("Grantee", "Empfänger"),
        "x_hit_only_col" => ("Hit-only", "Nur Treffer"),
        "x_init_pw" => (
            "Initial password (12+ characters)",
            "Erstes Passwort (mind. 12 Zeichen)",
        ),
        "x_decl_j" => (
            "Jurisdiction whose law you declare to follow",
            "Rechtsraum, dessen Recht Sie einzuhalten erklären",
        ),
        "x_list_name" => ("List name", "Listenname"),
        "x_list" => ("List", "Liste"),
        "x_mode" => ("Mode", "Modus"),
        "x_plate" => ("Plate", "Kennzeichen"),
        "x_purposes_csv" => (
            "Purposes (comma-separated codes)",
            "Zwecke (Codes, durch Komma getrennt)",
        ),
        "x_purposes" => ("Purposes", "Zwecke"),
        "x_reason" => ("Reason", "Begründung"),
        "x_released" => ("Released", "Aufgehoben"),
        "x_role" => ("Role", "Rolle"),
        "x_signed_by" => ("Signed by", "Unterzeichnet von"),
        "x_statement" => ("Statement", "Erklärung"),
        "x_username" => ("Username", "Benutzername"),
        "x_window" => ("Window", "Zeitraum"),
        "x_action" => ("Action", "Aktion"),
        "x_actor" => ("Actor", "Handelnde Person"),
        "x_after" => ("After entry", "Nach Eintrag"),
        "x_outcome" => ("Outcome", "Ergebnis"),
        "x_req_dec" => ("Request / decisions", "Anfrage / Entscheidungen"),
        "x_time" => ("Time", "Zeit"),
        "x_verify_failed" => ("Verification FAILED: ", "Prüfung FEHLGESCHLAGEN: "),
        "cameras_h" => ("Cameras", "Kameras"),
        "place_hint" => (
            "Click the map to place a new camera.",
            "Klicken Sie auf die Karte, um eine neue Kamera zu platzieren.",
        ),
        "name" => ("Name", "Name"),
        "latitude" => ("Latitude", "Breite"),
        "longitude" => ("Longitude", "Länge"),
        "hit_only" => (
            "Hit-only (non-hits never leave the camera)",
            "Nur Treffer (Nichttreffer verlassen die Kamera nie)",
        ),
        "add_camera" => ("Add camera", "Kamera hinzufügen"),
        "users_roles" => ("Users and roles", "Benutzer und Rollen"),
        "add_user" => ("Add user", "Benutzer hinzufügen"),
        "agreements_h" => ("Sharing agreements", "Vereinbarungen zur Datenweitergabe"),
        "grant" => ("Grant access", "Zugriff gewähren"),
        "hotlists_h" => ("Hot lists", "Fahndungslisten"),
        "create_list" => ("Create list", "Liste anlegen"),
        "import_entries" => ("Import entries", "Einträge importieren"),
        "retention_h" => (
            "Retention and legal holds",
            "Speicherfristen und Sicherungsanordnungen",
        ),
        "place_hold" => ("Place legal hold", "Sicherung anordnen"),
        "declarations_h" => (
            "Written declarations (e.g. 625 ILCS 5/2-130(c))",
            "Schriftliche Erklärungen (z. B. 625 ILCS 5/2-130(c))",
        ),
        "record_decl" => ("Record declaration", "Erklärung erfassen"),
        "policy_h" => (
            "Agency policy (forbid rules; narrows what the law allows)",
            "Behördenrichtlinie (nur Verbote; schränkt das gesetzlich Erlaubte ein)",
        ),
        "save_policy" => ("Save policy", "Richtlinie speichern"),
        "audit_log" => ("Audit log", "Protokoll"),
        "filter" => ("Filter", "Filtern"),
        "oversight_link" => ("Oversight findings", "Aufsichtsbefunde"),
        "export_jsonl" => ("Export JSON Lines", "Export als JSON Lines"),
        "export_csv" => ("Export CSV", "Export als CSV"),
        "area" => (
            "Area: click the map to set the centre",
            "Gebiet: Mittelpunkt auf der Karte anklicken",
        ),
        "area_lat" => ("Area centre latitude", "Gebietsmitte Breite"),
        "area_lon" => ("Area centre longitude", "Gebietsmitte Länge"),
        "area_km" => ("Area radius (km)", "Gebietsradius (km)"),
        "vehicle" => ("Vehicle", "Fahrzeug"),
        // --- lead: passkeys ---
        "account" => ("Account", "Konto"),
        "passkeys" => ("Passkeys", "Passkeys"),
        "passkeys_help" => (
            "A passkey or security key signs you in as the second factor instead of a code from your authenticator app. It works only on this site.",
            "Ein Passkey oder Sicherheitsschlüssel ersetzt beim Anmelden als zweiter Faktor den Code aus der Authenticator-App. Er gilt nur für diese Website.",
        ),
        "no_passkeys" => (
            "No passkey registered yet.",
            "Noch kein Passkey registriert.",
        ),
        "passkey_label" => ("Name of the key", "Name des Schlüssels"),
        "passkey_registered" => ("Registered", "Registriert"),
        "passkey_used" => ("Last used", "Zuletzt benutzt"),
        "passkey_add" => ("Add a passkey", "Passkey hinzufügen"),
        "passkey_signin" => ("Sign in with a passkey", "Mit Passkey anmelden"),
        "passkey_remove" => ("Remove", "Entfernen"),
        "passkey_last_factor" => (
            "This is your only second factor and your agency requires one: add another passkey or an authenticator app first.",
            "Das ist Ihr einziger zweiter Faktor, und Ihre Behörde verlangt einen: Fügen Sie zuerst einen weiteren Passkey oder eine Authenticator-App hinzu.",
        ),
        "passkey_not_found" => (
            "You have no such passkey (it may have been removed already).",
            "Diesen Passkey haben Sie nicht (vielleicht wurde er schon entfernt).",
        ),
        // --- h21tr ---
        "tr_title" => ("Transparency report", "Transparenzbericht"),
        "tr_lead" => (
            "Every figure here is computed from the node's tamper-evident audit log and its store, never typed in. Each chart shows its numbers beside it and can be downloaded as CSV.",
            "Jede Zahl hier wird aus dem manipulationssicheren Protokoll und dem Datenbestand des Knotens berechnet, nie von Hand eingetragen. Jedes Diagramm zeigt seine Zahlen daneben und kann als CSV heruntergeladen werden.",
        ),
        "tr_computed" => ("Figures computed at", "Zahlen berechnet am"),
        "tr_nav" => ("Agencies", "Behörden"),
        "tr_node" => (
            "Whole node and all agencies",
            "Gesamter Knoten und alle Behörden",
        ),
        "tr_node_h" => ("The whole node", "Der gesamte Knoten"),
        "tr_explained_link" => (
            "What the figures mean and how to check them",
            "Was die Zahlen bedeuten und wie man sie prüft",
        ),
        "tr_explained_h" => (
            "Transparency report explained",
            "Der Transparenzbericht erklärt",
        ),
        "tr_none" => ("Nothing to show yet.", "Noch nichts anzuzeigen."),
        "tr_numbers" => ("The numbers", "Die Zahlen"),
        "tr_csv" => ("Download as CSV", "Als CSV herunterladen"),
        "tr_csv_all" => (
            "Download every table as one CSV",
            "Alle Tabellen als eine CSV herunterladen",
        ),
        "tr_note" => (
            "Note from the agency (its own words)",
            "Anmerkung der Behörde (ihre eigenen Worte)",
        ),
        "tr_days" => ("days", "Tage"),
        "tr_minutes" => ("minutes", "Minuten"),
        "tr_retention_in_force" => (
            "Retention of reads that matched no hot list:",
            "Speicherfrist für Lesungen ohne Treffer:",
        ),
        "tr_f_summary" => ("Key figures", "Eckzahlen"),
        "tr_f_weekly_outcome" => (
            "Searches per week, by outcome",
            "Suchen pro Woche, nach Ergebnis",
        ),
        "tr_f_weekly_purpose" => (
            "Searches per week, by declared purpose",
            "Suchen pro Woche, nach angegebenem Zweck",
        ),
        "tr_f_refusals" => (
            "Searches refused this data, by rule",
            "Abgelehnte Zugriffe auf diese Daten, nach Regel",
        ),
        "tr_f_hits" => (
            "Hot-list hits, by outcome (confirmed, false, pending)",
            "Fahndungstreffer nach Ergebnis (bestätigt, falsch, offen)",
        ),
        "tr_f_analysis" => (
            "Multi-location and convoy searches, by kind and outcome",
            "Mehrorts- und Konvoisuchen, nach Art und Ergebnis",
        ),
        "tr_f_findings" => (
            "Usage-watch findings about searches",
            "Befunde der Nutzungsüberwachung zu Suchen",
        ),
        "tr_f_retention" => (
            "Reads held against retention (hours)",
            "Gespeicherte Lesungen im Vergleich zur Speicherfrist (Stunden)",
        ),
        "tr_f_received" => (
            "Who searched this agency's data: allowed and refused",
            "Wer die Daten dieser Behörde durchsucht hat: erlaubt und abgelehnt",
        ),
        "tr_f_flows" => (
            "Searches for other agencies' data (requester → owner): allowed and refused",
            "Suchen in Daten anderer Behörden (anfragend → Halter): erlaubt und abgelehnt",
        ),
        "tr_f_hits_for_others" => (
            "Hits on this agency's cameras reported to other agencies' lists",
            "Treffer an Kameras dieser Behörde für Listen anderer Behörden",
        ),
        "tr_s_value" => ("Value", "Wert"),
        "tr_s_row" => ("Category", "Kategorie"),
        "tr_s_refusals" => ("Refusals", "Ablehnungen"),
        "tr_s_citation" => ("Citation", "Fundstelle"),
        "tr_s_hits" => ("Hits", "Treffer"),
        "tr_s_searches" => ("Searches", "Suchen"),
        "tr_s_raised" => ("Raised", "Gemeldet"),
        "tr_s_reviewed" => ("Reviewed", "Geprüft"),
        "tr_s_misuse" => ("Misuse confirmed", "Missbrauch bestätigt"),
        "tr_s_retention" => ("Retention (hours)", "Speicherfrist (Stunden)"),
        "tr_s_oldest" => (
            "Oldest read held (hours)",
            "Älteste gespeicherte Lesung (Stunden)",
        ),
        "tr_k_agencies" => ("Agencies", "Behörden"),
        "tr_k_cameras" => ("Cameras", "Kameras"),
        "tr_k_reads_30" => ("Reads in the last 30 days", "Lesungen der letzten 30 Tage"),
        "tr_k_reads_held" => ("Reads held", "Gespeicherte Lesungen"),
        "tr_k_searches" => ("Searches by its users", "Suchen ihrer Benutzer"),
        "tr_k_uninvolved" => (
            "Uninvolved vehicles revealed by analysis searches",
            "Durch Analysesuchen offengelegte unbeteiligte Fahrzeuge",
        ),
        "tr_o_allowed" => ("allowed", "erlaubt"),
        "tr_o_partial" => ("partly allowed", "teilweise erlaubt"),
        "tr_o_denied" => ("denied by every owner", "von allen Haltern abgelehnt"),
        "tr_o_refused" => ("refused", "abgelehnt"),
        "tr_o_confirmed" => ("confirmed", "bestätigt"),
        "tr_o_wrong_state" => (
            "false: wrong state or country",
            "falsch: falscher Staat oder falsches Land",
        ),
        "tr_o_misread" => ("false: misread plate", "falsch: Kennzeichen falsch gelesen"),
        "tr_o_dismissed" => ("dismissed", "verworfen"),
        "tr_o_pending" => (
            "pending (not yet acknowledged)",
            "offen (noch nicht quittiert)",
        ),
        "tr_cp_h" => (
            "Latest signed checkpoint of the audit log",
            "Letzter signierter Prüfpunkt des Protokolls",
        ),
        "tr_cp_none" => ("No checkpoint signed yet.", "Noch kein Prüfpunkt signiert."),
        "tr_cp_size" => ("Tree size (entries)", "Baumgröße (Einträge)"),
        "tr_cp_root" => ("Root hash", "Wurzel-Hash"),
        "tr_cp_time" => ("Signed at", "Signiert am"),
        "tr_cp_sig" => ("Signature (Ed25519)", "Signatur (Ed25519)"),
        "tr_cp_origin" => ("Log name", "Protokollname"),
        "tr_cp_key" => (
            "The node's public key",
            "Öffentlicher Schlüssel des Knotens",
        ),
        "tr_cp_vkey" => (
            "Verifier key (C2SP signed note)",
            "Prüfschlüssel (C2SP signierte Notiz)",
        ),
        "tr_cp_how" => (
            "Keep this checkpoint. Anyone can later check with the public key that the log still contains exactly these entries.",
            "Bewahren Sie diesen Prüfpunkt auf. Jeder kann später mit dem öffentlichen Schlüssel prüfen, dass das Protokoll noch genau diese Einträge enthält.",
        ),
        "tr_x_intro" => (
            "This page says in plain words what each figure of the transparency report counts, where it comes from, and how anyone can check that the log behind it was not changed.",
            "Diese Seite erklärt in einfachen Worten, was jede Zahl des Transparenzberichts zählt, woher sie kommt und wie jeder prüfen kann, dass das Protokoll dahinter nicht verändert wurde.",
        ),
        "tr_x_meanings" => ("What each figure means", "Was jede Zahl bedeutet"),
        "tr_x_summary" => (
            "Cameras the agency owns; reads (plate sightings) its cameras made that are still stored, in total and from the last 30 days; searches its users ran; and how many vehicles other than the target a multi-location or convoy search showed.",
            "Kameras der Behörde; noch gespeicherte Lesungen (Kennzeichen-Sichtungen) ihrer Kameras, insgesamt und aus den letzten 30 Tagen; Suchen ihrer Benutzer; und wie viele andere Fahrzeuge als das gesuchte eine Mehrorts- oder Konvoisuche gezeigt hat.",
        ),
        "tr_x_weekly_outcome" => (
            "Every search its users ran, counted in the week (Monday to Sunday, UTC) it was logged: allowed by every data owner asked, partly allowed, denied by every owner, or refused before any owner was asked (no purpose, no case number, bad query).",
            "Jede Suche ihrer Benutzer, gezählt in der Woche (Montag bis Sonntag, UTC) ihrer Protokollierung: von allen gefragten Datenhaltern erlaubt, teilweise erlaubt, von allen abgelehnt, oder abgelehnt, bevor ein Halter gefragt wurde (kein Zweck, kein Aktenzeichen, fehlerhafte Anfrage).",
        ),
        "tr_x_weekly_purpose" => (
            "The same searches by the purpose the searcher had to declare (a fixed list of codes).",
            "Dieselben Suchen nach dem Zweck, den die suchende Person angeben musste (eine feste Liste von Codes).",
        ),
        "tr_x_refusals" => (
            "Searches, by anyone, that asked for this agency's data and got none, with the rule that said no and the law or policy it cites.",
            "Suchen, von wem auch immer, die Daten dieser Behörde anfragten und keine bekamen, mit der ablehnenden Regel und dem Gesetz oder der Richtlinie, auf die sie sich stützt.",
        ),
        "tr_x_hits" => (
            "Alerts from the agency's hot lists and what the officer found: confirmed, a false match (wrong state or misread plate), dismissed, or not yet acknowledged.",
            "Alarme aus den Fahndungslisten der Behörde und was die Beamten festgestellt haben: bestätigt, ein Fehltreffer (falscher Staat oder falsch gelesenes Kennzeichen), verworfen oder noch nicht quittiert.",
        ),
        "tr_x_analysis" => (
            "Searches that look for patterns (a vehicle at several places, vehicles travelling together) rather than one plate, counted apart because they reveal more.",
            "Suchen nach Mustern (ein Fahrzeug an mehreren Orten, gemeinsam fahrende Fahrzeuge) statt nach einem Kennzeichen, getrennt gezählt, weil sie mehr offenlegen.",
        ),
        "tr_x_findings" => (
            "The node watches its own log for signs of misuse (bursts, look-ups at odd hours, repeated searches for one vehicle). Raised: flagged; reviewed: a supervisor looked; misuse confirmed: the review found misuse.",
            "Der Knoten überwacht sein eigenes Protokoll auf Anzeichen von Missbrauch (Häufungen, Abfragen zu ungewöhnlichen Zeiten, wiederholte Suchen nach einem Fahrzeug). Gemeldet: markiert; geprüft: eine Vorgesetzte hat nachgesehen; Missbrauch bestätigt: die Prüfung fand Missbrauch.",
        ),
        "tr_x_retention" => (
            "How long the law in force lets the agency keep reads that matched no hot list, against the age of the oldest read still stored. Hits and reads under a legal hold may be kept longer.",
            "Wie lange das geltende Recht die Behörde Lesungen ohne Treffer aufbewahren lässt, verglichen mit dem Alter der ältesten noch gespeicherten Lesung. Treffer und gesicherte Lesungen dürfen länger aufbewahrt werden.",
        ),
        "tr_x_received" => (
            "Which other agencies' users searched this agency's data, and how often its data was given (allowed) or withheld (refused).",
            "Welche anderen Behörden die Daten dieser Behörde durchsucht haben, und wie oft ihre Daten geliefert (erlaubt) oder zurückgehalten (abgelehnt) wurden.",
        ),
        "tr_x_hits_for_others" => (
            "Vehicles this agency's cameras saw that were on other agencies' hot lists, by the agency that received the alert.",
            "Fahrzeuge, die Kameras dieser Behörde sahen und die auf Fahndungslisten anderer Behörden standen, nach der Behörde, die den Alarm erhielt.",
        ),
        "tr_x_verify_h" => ("How to check the figures", "Wie man die Zahlen prüft"),
        "tr_x_verify_1" => (
            "Save the latest signed checkpoint. It is on every report page, and the node serves it as a signed note at",
            "Speichern Sie den letzten signierten Prüfpunkt. Er steht auf jeder Berichtsseite, und der Knoten liefert ihn als signierte Notiz unter",
        ),
        "tr_x_verify_2" => (
            "Later, save a newer one. The node answers a consistency proof (RFC 9162 format) that the newer log only extends the older one; any tool for Certificate-Transparency-style logs can check it against the two roots:",
            "Speichern Sie später einen neueren. Der Knoten liefert einen Konsistenzbeweis (Format nach RFC 9162), dass das neuere Protokoll das ältere nur fortsetzt; jedes Werkzeug für Protokolle nach Art von Certificate Transparency kann ihn gegen die beiden Wurzeln prüfen:",
        ),
        "tr_x_verify_3" => (
            "Auditors and councils who receive an export of the log check every entry against your saved checkpoints and the node's public key with the command below; it recomputes every hash and says exactly what is wrong.",
            "Prüfstellen und Räte, die einen Export des Protokolls erhalten, prüfen jeden Eintrag gegen Ihre gespeicherten Prüfpunkte und den öffentlichen Schlüssel des Knotens mit dem Befehl unten; er berechnet jeden Hash neu und sagt genau, was nicht stimmt.",
        ),
        "tr_x_verify_4" => (
            "Each figure can then be recounted from the exported entries: a search is an entry with action search, its purpose, outcome and each data owner's decision with rule and citation.",
            "Jede Zahl lässt sich dann aus den exportierten Einträgen nachzählen: eine Suche ist ein Eintrag der Suchaktion mit ihrem Zweck, Ergebnis und der Entscheidung jedes Datenhalters mit Regel und Fundstelle.",
        ),
        "tr_x_verify_5" => (
            "The figures never contain plate numbers: only counts, purposes, rules and agency names.",
            "Die Zahlen enthalten nie Kennzeichen: nur Anzahlen, Zwecke, Regeln und Behördennamen.",
        ),
        // --- h18ui ---
        "inv_title" => ("Investigate", "Ermittlung"),
        "inv_intro" => (
            "Convoy and multi-location searches reveal vehicles of people suspected of nothing. The law of each data owner decides: most allow them only for a listed serious crime, with a court order, over short windows. Every search is audited, with the number of uninvolved vehicles it revealed.",
            "Konvoi- und Mehrortsuchen zeigen Fahrzeuge von Menschen, gegen die kein Verdacht besteht. Es entscheidet das Recht jedes Datenhalters: meist nur für eine gelistete schwere Straftat, mit richterlichem Beschluss und über kurze Zeiträume. Jede Suche wird protokolliert, mit der Zahl der offengelegten unbeteiligten Fahrzeuge.",
        ),
        "inv_convoy" => ("Convoy", "Konvoi"),
        "inv_multi" => ("Multi-location", "Mehrere Orte"),
        "inv_context" => ("Purpose and case", "Zweck und Fall"),
        "inv_serious_hint" => (
            "★ marks the serious crimes for which the default policy allows these searches.",
            "★ kennzeichnet die schweren Straftaten, für die die Grundregeln diese Suchen erlauben.",
        ),
        "inv_warrant" => ("Court order or warrant", "Richterlicher Beschluss"),
        "inv_warrant_hint" => (
            "Leave empty if there is none; the law then decides, and usually refuses.",
            "Leer lassen, wenn keiner vorliegt; dann entscheidet das Recht, meist ablehnend.",
        ),
        "inv_w_court" => ("Issuing court", "Ausstellendes Gericht"),
        "inv_w_reference" => ("Reference / docket number", "Aktenzeichen des Beschlusses"),
        "inv_w_issued" => ("Date issued", "Ausgestellt am"),
        "inv_w_expires" => ("Expires", "Gültig bis"),
        "inv_convoy_hint" => (
            "Vehicles seen at the same cameras within ±Δ seconds of the plate, at k or more camera/time events, ranked by how often.",
            "Fahrzeuge, die an denselben Kameras innerhalb von ±Δ Sekunden um das Kennzeichen gesehen wurden, bei mindestens k Kamera-/Zeitereignissen, nach Häufigkeit geordnet.",
        ),
        "inv_from" => ("From (UTC)", "Von (UTC)"),
        "inv_to" => ("To (UTC)", "Bis (UTC)"),
        "inv_delta" => ("Δ seconds", "Δ Sekunden"),
        "inv_k_events" => (
            "k: shared events at least",
            "k: gemeinsame Ereignisse mindestens",
        ),
        "inv_multi_hint" => (
            "2 to 10 places, each a circle on the map (or camera numbers) with its own time window; the vehicles seen at k or more of them.",
            "2 bis 10 Orte, jeweils ein Kreis auf der Karte (oder Kameranummern) mit eigenem Zeitfenster; gesucht sind Fahrzeuge, die an mindestens k davon gesehen wurden.",
        ),
        "inv_pick_hint" => (
            "Click the map to add a place (a circle), or click a camera to add it to the current place (the row you last edited; a second click removes it); set radius and window in the table.",
            "Klicken Sie auf die Karte, um einen Ort (Kreis) hinzuzufügen, oder auf eine Kamera, um sie dem aktuellen Ort hinzuzufügen (der zuletzt bearbeiteten Zeile; ein zweiter Klick entfernt sie); Radius und Zeitfenster in der Tabelle eintragen.",
        ),
        "inv_no_cameras" => ("No fixed cameras yet.", "Noch keine festen Kameras."),
        "inv_places" => ("Places", "Orte"),
        "inv_label" => ("Label", "Bezeichnung"),
        "inv_place" => ("Place", "Ort"),
        "inv_radius" => ("Radius (m)", "Radius (m)"),
        "inv_cameras" => ("or cameras", "oder Kameras"),
        "inv_add_place" => ("Add a place", "Ort hinzufügen"),
        "inv_k_places" => (
            "k: places at least (empty: all)",
            "k: Orte mindestens (leer: alle)",
        ),
        "inv_camera_ids" => ("Camera numbers", "Kameranummern"),
        "inv_uninvolved" => (
            "Uninvolved vehicles revealed (counted in the audit entry):",
            "Offengelegte unbeteiligte Fahrzeuge (im Protokolleintrag gezählt):",
        ),
        "inv_companions" => (
            "Vehicles travelling with the target",
            "Mitfahrende Fahrzeuge",
        ),
        "inv_target" => ("Target", "Zielfahrzeug"),
        "inv_target_sightings" => ("Sightings of the target:", "Sichtungen des Zielfahrzeugs:"),
        "inv_rank" => ("Rank", "Rang"),
        "inv_cooccur" => ("Co-occurrences", "Gemeinsame Sichtungen"),
        "inv_distinct_cams" => ("Distinct cameras", "Verschiedene Kameras"),
        "inv_first" => ("First seen", "Zuerst gesehen"),
        "inv_last" => ("Last seen", "Zuletzt gesehen"),
        "inv_vehicles" => (
            "Vehicles seen at several places",
            "An mehreren Orten gesehene Fahrzeuge",
        ),
        "inv_places_matched" => ("Places", "Orte"),
        "inv_map" => (
            "Co-travel map: the target's track (line) and each vehicle's sightings (squares, one colour each)",
            "Karte der gemeinsamen Fahrten: der Weg des Zielfahrzeugs (Linie) und die Sichtungen jedes Fahrzeugs (Quadrate, je eine Farbe)",
        ),
        "inv_map_multi" => (
            "Map: the places (circles) and each vehicle's sightings (squares, one colour each)",
            "Karte: die Orte (Kreise) und die Sichtungen jedes Fahrzeugs (Quadrate, je eine Farbe)",
        ),
        "inv_export" => ("Export evidence package", "Beweispaket exportieren"),
        "inv_export_hint" => (
            "(re-runs this search under today's law, audited; a .tar file that `sightline evidence verify` checks)",
            "(führt diese Suche nach heutigem Recht erneut aus, protokolliert; eine .tar-Datei, die `sightline evidence verify` prüft)",
        ),
        // --- h21de ---
        "skip" => ("Skip to content", "Zum Inhalt springen"),
        "lang_switch" => ("Language", "Sprache"),
        "findings" => ("Findings", "Befunde"),
        "admin" => ("Admin", "Verwaltung"),
        "form_expired" => (
            "The sign-in form expired; please try again.",
            "Das Anmeldeformular ist abgelaufen; bitte erneut versuchen.",
        ),
        "internal_error" => ("Internal error.", "Interner Fehler."),
        "mfa_enrol" => (
            "Your agency requires a second factor for your role. Add this secret to an authenticator app (shown once), then enter its first code.",
            "Ihre Behörde verlangt für Ihre Rolle einen zweiten Faktor. Tragen Sie dieses Geheimnis in eine Authenticator-App ein (es wird nur einmal angezeigt) und geben Sie dann deren ersten Code ein.",
        ),
        "mfa_secret" => ("Secret", "Geheimnis"),
        "mfa_recovery" => (
            "Recovery codes (each works once; keep them safe):",
            "Wiederherstellungscodes (jeder gilt einmal; sicher aufbewahren):",
        ),
        "mfa_enter" => (
            "Enter the code from your authenticator app (or a recovery code).",
            "Geben Sie den Code aus Ihrer Authenticator-App ein (oder einen Wiederherstellungscode).",
        ),
        "mfa_code" => ("Code", "Code"),
        "kind_exact" => ("exact", "exakt"),
        "kind_wildcard" => ("wildcard", "mit Platzhaltern"),
        "kind_fuzzy" => ("fuzzy", "unscharf"),
        "kind_description" => ("description", "Beschreibung"),
        "hotlists_status" => ("Hot lists", "Fahndungslisten"),
        "none" => ("none", "keine"),
        "fuzzy" => ("fuzzy", "unscharf"),
        "ack_confirmed" => ("confirmed", "bestätigt"),
        "ack_wrong_state" => ("wrong state", "falscher Staat"),
        "ack_misread" => ("misread", "falsch gelesen"),
        "ack_dismissed" => ("dismissed", "verworfen"),
        "key_revoked" => ("key revoked", "Schlüssel gesperrt"),
        "revoke_key" => ("Revoke key", "Schlüssel sperren"),
        "new_key" => ("New key", "Neuer Schlüssel"),
        "place_map" => ("Camera placement map", "Karte zur Kameraplatzierung"),
        "check_purposes" => (
            "Check purposes (list categories, comma-separated)",
            "Prüfzwecke (Listenkategorien, durch Komma getrennt)",
        ),
        "disabled" => ("disabled", "gesperrt"),
        "enable" => ("Enable", "Entsperren"),
        "disable" => ("Disable", "Sperren"),
        "sign_out_all" => ("Sign out everywhere", "Überall abmelden"),
        "new_role" => ("New role", "Neue Rolle"),
        "set_role" => ("Set role", "Rolle setzen"),
        "scope" => ("Scope", "Umfang"),
        "ended" => ("ended", "beendet"),
        "end" => ("End", "Beenden"),
        "g_agency" => ("one agency", "eine Behörde"),
        "g_jurisdiction" => (
            "a jurisdiction (e.g. US-IL)",
            "ein Rechtsraum (z. B. US-IL)",
        ),
        "g_national" => ("national (opt-in)", "landesweit (nach Zustimmung)"),
        "scope_search" => ("search our reads", "unsere Lesungen durchsuchen"),
        "scope_matching" => (
            "run their hot lists on our cameras",
            "ihre Fahndungslisten auf unseren Kameras abgleichen",
        ),
        "shared_with" => ("Shared with", "Geteilt mit"),
        "end_list" => ("End list", "Liste beenden"),
        "share_with" => (
            "Share with (agency ids; runs on their cameras only where they agreed)",
            "Teilen mit (Behörden-IDs; läuft auf deren Kameras nur mit deren Zustimmung)",
        ),
        "mode_merge" => ("merge", "zusammenführen"),
        "mode_replace" => ("replace (atomic)", "ersetzen (atomar)"),
        "entries_columns" => (
            "Entries as CSV with the columns",
            "Einträge als CSV mit den Spalten",
        ),
        "ret_kept" => (
            "Non-hit reads are kept",
            "Lesungen ohne Treffer werden gespeichert:",
        ),
        "ret_hits" => (
            "Hits and reads under a legal hold are kept while the case is open.",
            "Treffer und Lesungen unter einer Sicherungsanordnung bleiben gespeichert, solange der Fall offen ist.",
        ),
        "days" => ("days", "Tage"),
        "minutes" => ("minutes", "Minuten"),
        "open" => ("open", "offen"),
        "release" => ("Release", "Aufheben"),
        "policy_rules" => (
            "Rules in Cedar (forbid only, each with @id, @citation and @explanation)",
            "Regeln in Cedar (nur forbid, jede mit @id, @citation und @explanation)",
        ),
        "verified" => ("Verified", "Geprüft"),
        "verified_entries" => (
            "entries, every hash and checkpoint checks.",
            "Einträge; alle Hashes und Checkpoints stimmen.",
        ),
        "cp_latest" => ("Latest signed checkpoint", "Letzter signierter Checkpoint"),
        "cp_size" => ("size", "Größe"),
        "cp_root" => ("root", "Wurzel"),
        "cp_signed" => ("signed", "signiert"),
        "cp_key" => ("key", "Schlüssel"),
        "all" => ("(all)", "(alle)"),
        "findings_intro" => (
            "Patterns the usage watch found in searches (see the README's detectors). Open the searches behind a finding in the audit log by their entry numbers, then record a decision with a note.",
            "Muster, die die Nutzungsüberwachung in Suchen gefunden hat (siehe die Detektoren im README). Öffnen Sie die Suchen hinter einem Befund im Protokoll über ihre Eintragsnummern und halten Sie dann eine Entscheidung mit Notiz fest.",
        ),
        "no_findings" => ("No findings.", "Keine Befunde."),
        "f_kind" => ("Kind", "Art"),
        "f_who" => ("Agency / user", "Behörde / Benutzer"),
        "f_what" => ("What", "Was"),
        "f_entries" => ("Audit entries", "Protokolleinträge"),
        "f_decision" => ("Decision", "Entscheidung"),
        "f_note" => ("Note", "Notiz"),
        "f_why" => ("why", "Begründung"),
        "f_record" => ("Record", "Festhalten"),
        "f_by" => ("by", "von"),
        "f_open" => ("open", "öffnen"),
        "f_searches" => (
            "The searches behind the finding",
            "Die Suchen hinter dem Befund",
        ),
        "f_bad_id" => (
            "That is not a finding number.",
            "Das ist keine Befundnummer.",
        ),
        "d_justified" => ("justified", "gerechtfertigt"),
        "d_referred" => ("referred", "weitergeleitet"),
        "d_misuse_confirmed" => ("misuse confirmed", "Missbrauch bestätigt"),
        "err_bad_request" => ("The request is not valid:", "Die Anfrage ist ungültig:"),
        "err_forbidden" => ("Not allowed:", "Nicht erlaubt:"),
        "err_not_found" => ("Not found:", "Nicht gefunden:"),
        "err_conflict" => ("Conflict:", "Konflikt:"),
        "err_too_many" => ("Too many attempts:", "Zu viele Versuche:"),
        "err_unavailable" => ("Not available right now:", "Gerade nicht verfügbar:"),
        "err_other" => ("Error:", "Fehler:"),
        "err_detail_en" => ("details in English", "Einzelheiten auf Englisch"),
        "saved" => ("Saved — audit entry", "Gespeichert — Protokolleintrag"),
        "english_only" => (
            "This report is available in English only.",
            "Dieser Bericht liegt nur auf Englisch vor.",
        ),
        // --- h21map ---
        "map_controls" => ("Map zoom and pan", "Karte zoomen und verschieben"),
        "zoom_in" => ("Zoom in", "Vergrößern"),
        "zoom_out" => ("Zoom out", "Verkleinern"),
        "zoom_reset" => ("Reset the view", "Ansicht zurücksetzen"),
        "pan_west" => ("Move west", "Nach Westen"),
        "pan_east" => ("Move east", "Nach Osten"),
        "pan_north" => ("Move north", "Nach Norden"),
        "pan_south" => ("Move south", "Nach Süden"),
        "hit_only_marker" => (
            "hit-only camera (reports hot-list hits only)",
            "Nur-Treffer-Kamera (meldet nur Fahndungstreffer)",
        ),
        "map_credit" => (
            "Boundaries: US Census Bureau (us-atlas), Natural Earth (world-atlas); public domain. Places: GeoNames, CC BY 4.0.",
            "Grenzen: US Census Bureau (us-atlas), Natural Earth (world-atlas); gemeinfrei. Orte: GeoNames (Creative Commons Namensnennung 4.0).",
        ),
        "cam_picker" => (
            "Cameras: pick by name, owner or on the map (none picked: all)",
            "Kameras: nach Name, Betreiber oder auf der Karte wählen (keine gewählt: alle)",
        ),
        "cam_filter" => ("Find cameras by name", "Kameras nach Name suchen"),
        "cam_owner" => ("Owner", "Betreiber"),
        "all_owners" => ("all owners", "alle Betreiber"),
        "pick_shown" => ("Pick all shown", "Alle angezeigten wählen"),
        "pick_none" => ("Pick none", "Keine wählen"),
        "picked" => ("picked", "gewählt"),
        "save_search" => ("Save this search", "Suche speichern"),
        "saved_name" => ("Name of the saved search", "Name der gespeicherten Suche"),
        "saved_h" => ("My saved searches", "Meine gespeicherten Suchen"),
        "saved_none" => ("No saved searches yet.", "Noch keine gespeicherten Suchen."),
        "saved_run" => ("Run again", "Erneut ausführen"),
        "saved_ok" => ("Saved (audit entry", "Gespeichert (Protokolleintrag"),
        "saved_query" => ("Query", "Abfrage"),
        "map_picker" => ("Map of the cameras", "Karte der Kameras"),
        "hit_only_short" => ("hit-only", "nur Treffer"),
        "n_cameras" => ("cameras", "Kameras"),
        "km_around" => ("km around", "km um"),
        // --- h21fin ---
        "saved_delete" => ("Delete", "Löschen"),
        "saved_deleted" => (
            "Saved search deleted (audit entry",
            "Gespeicherte Suche gelöscht (Protokolleintrag",
        ),
        "oversight_title" => ("Oversight", "Aufsicht"),
        "err.permission" => (
            "this needs the permission {0} (roles: {1})",
            "Dafür ist die Berechtigung {0} nötig (Rollen: {1}).",
        ),
        "err.disabled" => ("this account is disabled", "Dieses Konto ist gesperrt."),
        "err.plate_empty" => ("plate is empty", "Das Kennzeichen ist leer."),
        "err.plate_too_long" => (
            "plate {0} is longer than {1} characters",
            "Das Kennzeichen {0} ist länger als {1} Zeichen.",
        ),
        "err.plate_character" => (
            "plate contains character {0} that no plate uses",
            "Das Kennzeichen enthält das Zeichen {0}, das auf keinem Kennzeichen vorkommt.",
        ),
        "err.pattern" => ("invalid plate pattern", "Ungültiges Kennzeichenmuster."),
        "err.jurisdiction" => (
            "jurisdiction {0} is not an ISO 3166 code such as US-IL or DE-BY",
            "Das Rechtsgebiet {0} ist kein ISO-3166-Code wie US-IL oder DE-BY.",
        ),
        "err.unknown_value" => (
            "unknown {0} {1}; expected one of: {2}",
            "Unbekannter Wert {1} für {0}; erlaubt: {2}.",
        ),
        "err.invalid_id" => ("invalid {0} {1}", "Ungültige Kennung {1} ({0})."),
        "err.required" => ("{0} is required", "Pflichtangabe fehlt: {0}."),
        "err.case_too_long" => (
            "case number must be at most {0} characters",
            "Das Aktenzeichen darf höchstens {0} Zeichen lang sein.",
        ),
        "err.reason_too_long" => (
            "reason must be at most {0} characters",
            "Der Grund darf höchstens {0} Zeichen lang sein.",
        ),
        "err.unknown_agency" => (
            "agency {0} is not known to this node",
            "Die Behörde {0} ist diesem Knoten nicht bekannt.",
        ),
        "err.window_order" => (
            "the window's end must be after its start",
            "Das Ende des Zeitraums muss nach seinem Anfang liegen.",
        ),
        "err.window_too_long" => (
            "the window covers more than {0} days",
            "Der Zeitraum umfasst mehr als {0} Tage.",
        ),
        "err.window_future" => (
            "the window starts in the future",
            "Der Zeitraum beginnt in der Zukunft.",
        ),
        "err.plate_or_description" => (
            "a query needs exactly one of plate and description",
            "Eine Abfrage braucht genau eines: Kennzeichen oder Fahrzeugbeschreibung.",
        ),
        "err.description_empty" => (
            "a description needs a colour, vehicle type or make",
            "Eine Beschreibung braucht eine Farbe, einen Fahrzeugtyp oder eine Marke.",
        ),
        "err.cameras_empty" => (
            "the camera list must not be empty when given",
            "Die Kameraauswahl darf nicht leer sein, wenn sie angegeben ist.",
        ),
        "err.cameras_too_many" => (
            "the camera list names more than {0} cameras",
            "Die Kameraauswahl nennt mehr als {0} Kameras.",
        ),
        "err.area" => (
            "an area needs a valid position and a radius between 1 and 500000 m",
            "Ein Gebiet braucht eine gültige Position und einen Radius von 1 bis 500000 m.",
        ),
        "err.follow_up_not_yours" => (
            "audit entry {0} is not one of your searches",
            "Der Protokolleintrag {0} ist keine Ihrer Suchen.",
        ),
        "err.follow_up_refused" => (
            "search {0} was refused; a follow-up cannot run under it",
            "Die Suche {0} wurde abgelehnt; eine Folgesuche kann nicht unter ihr laufen.",
        ),
        "err.search_role" => (
            "role {0} may not run plate searches",
            "Die Rolle {0} darf keine Kennzeichensuchen ausführen.",
        ),
        "err.saved_not_found" => (
            "saved search {0} not found",
            "Die gespeicherte Suche {0} gibt es nicht (oder sie gehört jemand anderem).",
        ),
        "err.saved_invalid" => (
            "the saved search is invalid: {0}",
            "Die gespeicherte Suche ist ungültig: {0}",
        ),
        "err.saved_too_many" => (
            "at most {0} saved searches per user",
            "Höchstens {0} gespeicherte Suchen je Nutzer.",
        ),
        "watch.streak" => (
            "{0} refused or denied searches in a row",
            "{0} abgelehnte Suchen in Folge",
        ),
        "watch.federal" => (
            "search made on behalf of, or naming, a federal agency",
            "Suche im Auftrag einer Bundesbehörde oder mit ihrer Nennung",
        ),
        "watch.near_match" => (
            "the stated reason only nearly matched a purpose-screening rule",
            "Der angegebene Grund passte nur beinahe zu einer Prüfregel für Zwecke",
        ),
        "watch.trawl_window" => (
            "search used a {0}-day window (more than {1} days)",
            "Suche über einen Zeitraum von {0} Tagen (mehr als {1} Tage)",
        ),
        "watch.trawl_wildcard" => (
            "search used a wildcard plate pattern without a case number",
            "Suche mit einem Platzhaltermuster ohne Aktenzeichen",
        ),
        "watch.off_hours" => (
            "search at {0}:00 UTC; {1} of the user's {2} earlier searches fell within an hour of it",
            "Suche um {0}:00 UTC; {1} der {2} früheren Suchen des Nutzers lagen innerhalb einer Stunde davon",
        ),
        "watch.burst" => (
            "{0} searches in one hour; the user's average over the week before is {1} an hour",
            "{0} Suchen in einer Stunde; Durchschnitt des Nutzers in der Woche davor: {1} pro Stunde",
        ),
        "watch.stalking" => (
            "the same plate searched {0} times in {1} days by one user ({2} without a case number, {3} distinct case numbers)",
            "dasselbe Kennzeichen {0}-mal in {1} Tagen von einem Nutzer gesucht ({2} ohne Aktenzeichen, {3} verschiedene Aktenzeichen)",
        ),
        _ => {
            // Every key has both texts. A missing one is a bug the tests catch: the source scan
            // below, and debug builds (the ones tests run) panic here; release builds show "?".
            if cfg!(debug_assertions) {
                panic!("i18n: no text for key `{key}`");
            }
            ("?", "?")
        }
    };
    match lang {
        Lang::En => en,
        Lang::De => de,
    }
}

/// The lead of an error message shown on a page: what kind of error, in the page's language (the
/// service's detail after it is English; pages mark it `lang="en"`).
pub fn error_lead(lang: Lang, code: sightline_types::ErrorCode) -> &'static str {
    use sightline_types::ErrorCode::*;
    t(
        lang,
        match code {
            BadRequest | Unprocessable | PayloadTooLarge => "err_bad_request",
            Forbidden | Unauthenticated => "err_forbidden",
            NotFound => "err_not_found",
            Conflict => "err_conflict",
            TooManyRequests => "err_too_many",
            Unavailable => "err_unavailable",
            _ => "err_other",
        },
    )
}

/// A purpose's label in the page's language (codes stay as they are in forms and the API).
pub fn purpose_label(lang: Lang, p: sightline_types::Purpose) -> &'static str {
    use sightline_types::Purpose::*;
    if lang == Lang::En {
        return p.label();
    }
    match p {
        Homicide => "Tötungsdelikt",
        Kidnapping => "Entführung / Verschleppung",
        SexOffense => "Sexualdelikt",
        Robbery => "Raub",
        Assault => "Körperverletzung",
        Arson => "Brandstiftung",
        Burglary => "Einbruch",
        Larceny => "Diebstahl",
        MotorVehicleTheft => "Kraftfahrzeugdiebstahl",
        Fraud => "Betrug",
        Drugs => "Betäubungsmittel",
        Weapons => "Waffendelikt",
        HumanTrafficking => "Menschenhandel",
        Terrorism => "Terrorismus / Gefahr für die öffentliche Sicherheit",
        OtherCrime => "Andere Straftat",
        MissingPerson => "Vermisste oder gefährdete Person",
        AmberAlert => "AMBER-Alarm (Kindesentführung)",
        SilverAlert => "Silver-Alarm (vermisste ältere Person)",
        Warrant => "Vollstreckung eines Haftbefehls",
        StolenVehicle => "Gestohlenes Fahrzeug oder Kennzeichen",
        HotlistFollowup => "Nachverfolgung eines Fahndungstreffers",
        TrafficEnforcement => "Verkehrsüberwachung",
        SuspendedRegistration => "Entzogene Zulassung oder Fahrerlaubnis",
        CivilImmigration => "Zivilrechtliche Durchsetzung des Einwanderungsrechts",
        ReproductiveHealth => "Ermittlung zu reproduktiver / geschlechtsangleichender Versorgung",
        FirstAmendment => "Grundrechtlich geschützte Betätigung (First Amendment)",
        Ethnicity => "Auswahl nach ethnischer Herkunft",
        PersonalUse => "Private Nutzung",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every literal key passed to `t(…, "key")` in the web UI's source has an English and a
    /// German text (a key without one panics in debug builds and shows "?" in release builds).
    #[test]
    fn test_every_key_used_in_the_source_has_both_texts() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        let mut stack = vec![dir];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    files.push(p);
                }
            }
        }
        let mut keys = std::collections::BTreeSet::new();
        for f in &files {
            let text = std::fs::read_to_string(f).unwrap();
            // The code, not its tests (which name unknown keys on purpose).
            let text = text.split("\n#[cfg(test)]").next().unwrap_or_default();
            for (i, _) in text.match_indices("t(") {
                let before = text[..i].chars().next_back().unwrap_or(' ');
                if before.is_alphanumeric() || before == '_' {
                    continue;
                }
                // `t(lang, "key")` (any expression for the language, then a literal key).
                let args = &text[i + 2..];
                let Some(comma) = args.find(',') else {
                    continue;
                };
                let first = &args[..comma];
                if first.contains(['(', ')', '"', ';', '{']) {
                    continue;
                }
                let rest = args[comma + 1..].trim_start();
                if let Some(rest) = rest.strip_prefix('"')
                    && let Some((key, after)) = rest.split_once('"')
                    && after.trim_start().starts_with(')')
                {
                    keys.insert(key.to_owned());
                }
            }
        }
        assert!(keys.len() > 50, "the scan found only {keys:?}");
        let missing: Vec<&String> = keys
            .iter()
            .filter(|k| {
                [Lang::En, Lang::De].iter().any(|l| {
                    !matches!(std::panic::catch_unwind(|| t(*l, k)), Ok(s) if s != "?" && !s.is_empty())
                })
            })
            .collect();
        assert!(missing.is_empty(), "keys without both texts: {missing:?}");
    }

    #[test]
    fn test_an_unknown_key_is_an_error_in_debug_builds() {
        if cfg!(debug_assertions) {
            assert!(std::panic::catch_unwind(|| t(Lang::De, "no-such-key")).is_err());
        } else {
            assert_eq!(t(Lang::De, "no-such-key"), "?");
        }
    }
}
