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
            "Boundaries: US Census Bureau (us-atlas), Natural Earth (world-atlas); public domain.",
            "Grenzen: US Census Bureau (us-atlas), Natural Earth (world-atlas); gemeinfrei.",
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
        "place_map" => ("Camera placement map", "Karte zum Platzieren von Kameras"),
        _ => ("?", "?"),
    };
    match lang {
        Lang::En => en,
        Lang::De => de,
    }
}
