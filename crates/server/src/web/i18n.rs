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
