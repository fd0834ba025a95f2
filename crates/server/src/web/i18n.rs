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
            "Click the map to add a place (a circle); set its radius and window in the table.",
            "Klicken Sie auf die Karte, um einen Ort (Kreis) hinzuzufügen; Radius und Zeitfenster in der Tabelle eintragen.",
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
        _ => ("?", "?"),
    };
    match lang {
        Lang::En => en,
        Lang::De => de,
    }
}
