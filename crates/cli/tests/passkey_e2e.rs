//! Passkeys (WebAuthn) as the second factor, end to end: a real node with the default MFA rule,
//! headless Chromium with a WebDriver virtual authenticator. The operator enrols TOTP at first
//! sign-in (the agency requires a second factor), registers a passkey on the account page, signs
//! out, and signs in again with the passkey instead of a code. Then, through the API: an assertion
//! made for one sign-in is refused when replayed under another (audited as `mfa.failure`), a
//! garbage answer is a 400, an account without a passkey gets a 403 for passkey options, and the
//! registration and the sign-ins are in the audit log. Finally the key is removed on the account
//! page (audited) and no longer offered at sign-in.

mod support;

use serde_json::{Value, json};
use support::webdriver::Browser;
use support::{ADMIN_PASSWORD, Server, audit_actions, totp};

/// Asks the page's authenticator for an assertion with `options` (the server's JSON).
const GET_ASSERTION: &str = r#"var done = arguments[arguments.length - 1];
navigator.credentials.get({publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(arguments[0])})
  .then(function(c){ done(c.toJSON()); }, function(e){ done({error: String(e)}); });"#;

fn challenge(s: &Server) -> String {
    let (st, v) = s.call(
        "POST",
        "/api/v1/login",
        None,
        Some(json!({"username": "operator", "password": ADMIN_PASSWORD})),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["mfa"], "required", "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("passkey"),
        "the challenge names the passkey way: {v}"
    );
    v["challenge"].as_str().unwrap().to_owned()
}

fn options(s: &Server, challenge: &str) -> Value {
    let (st, v) = s.call(
        "POST",
        "/api/v1/login/passkey/options",
        None,
        Some(json!({"challenge": challenge})),
    );
    assert_eq!(st, 200, "{v}");
    v["public_key"].clone()
}

#[test]
fn test_passkey_registration_sign_in_and_replay() {
    let tmp = tempfile::tempdir().unwrap();
    // The node's default rule: public agencies require a second factor for every role.
    let s = Server::start_with(&tmp.path().join("node"), "127.0.0.1:0", "");
    // Passkeys are bound to the relying-party id `localhost`: the browser uses that name.
    let site = s.url.replace("127.0.0.1", "localhost");
    let b = Browser::start();
    b.add_virtual_authenticator();

    // The password step of a browser sign-in.
    let password = || {
        b.goto(&format!("{site}/ui/login"));
        b.type_into("#username", "operator");
        b.type_into("#password", ADMIN_PASSWORD);
        b.click("#signin");
    };
    // First sign-in: the agency requires MFA, so the page enrols TOTP and takes its first code.
    password();
    b.wait_for("#mfa-secret", 20);
    let secret = b.text("#mfa-secret");
    b.type_into("#code", &totp(&secret, 0));
    b.click("#verify");
    b.wait_for("#who-name", 20);

    // Register a passkey on the account page.
    b.click("#account-link");
    b.wait_for("#no-passkeys", 10);
    b.type_into("#passkey-label", "desk key");
    b.click("#passkey-register");
    b.wait_for("#passkeys", 20);
    assert!(
        b.text("#passkeys").contains("desk key"),
        "{}",
        b.page_text()
    );

    // Sign out and in again: password, then the passkey instead of a code.
    b.delete_cookies();
    password();
    b.wait_for("#passkey-signin", 20);
    b.click("#passkey-signin");
    b.wait_for("#who-name", 20);
    assert!(b.text("#who-name").len() > 1);

    // Through the API: a sign-in with the passkey works once per challenge …
    let c1 = challenge(&s);
    let assertion = b.script_async(GET_ASSERTION, json!([options(&s, &c1)]));
    assert!(assertion.get("error").is_none(), "{assertion}");
    let (st, v) = s.call(
        "POST",
        "/api/v1/login/passkey",
        None,
        Some(json!({"challenge": c1, "credential": assertion})),
    );
    assert_eq!(st, 200, "{v}");
    let token = v["token"].as_str().unwrap().to_owned();
    // … the same assertion replayed under a new sign-in is refused (it signed the old challenge).
    let c2 = challenge(&s);
    let _ = options(&s, &c2);
    let (st, v) = s.call(
        "POST",
        "/api/v1/login/passkey",
        None,
        Some(json!({"challenge": c2, "credential": assertion})),
    );
    assert_eq!(st, 401, "{v}");
    // Hostile input: not a WebAuthn answer at all.
    let c3 = challenge(&s);
    let _ = options(&s, &c3);
    let (st, v) = s.call(
        "POST",
        "/api/v1/login/passkey",
        None,
        Some(json!({"challenge": c3, "credential": {"id": "x", "type": "public-key"}})),
    );
    assert_eq!(st, 400, "{v}");
    // A finished challenge cannot be used again for options.
    let (st, _) = s.call(
        "POST",
        "/api/v1/login/passkey/options",
        None,
        Some(json!({"challenge": c1})),
    );
    assert_eq!(st, 401);
    // Registration needs a signed-in user.
    let (st, _) = s.call("POST", "/api/v1/me/passkeys/options", None, None);
    assert_eq!(st, 401);

    // The passkey is listed, and the audit log holds the registration, the sign-ins and the
    // refused replay.
    let (st, v) = s.call("GET", "/api/v1/me/passkeys", Some(&token), None);
    assert_eq!(st, 200, "{v}");
    assert_eq!(v.as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v[0]["label"], "desk key");
    assert!(v[0]["used"].is_string(), "{v}");
    let entries = |action: &str| audit_actions(&s, &token, action);
    assert_eq!(entries("passkey.register").len(), 1);
    let webauthn_ok = entries("mfa.success")
        .into_iter()
        .filter(|e| e["details"]["method"] == "webauthn")
        .count();
    assert_eq!(
        webauthn_ok, 2,
        "the browser's and the API's passkey sign-ins"
    );
    let refused = entries("mfa.failure")
        .into_iter()
        .filter(|e| e["details"]["method"] == "webauthn")
        .count();
    assert_eq!(refused, 1, "the replay");

    // Removing a passkey: not one of the caller's is a 404; the account page's button removes
    // it (the operator keeps the authenticator app, so it is not the last factor), audited.
    let (st, v) = s.call(
        "DELETE",
        "/api/v1/me/passkeys/bm8tc3VjaC1rZXk",
        Some(&token),
        None,
    );
    assert_eq!(st, 404, "{v}");
    b.goto(&format!("{site}/ui/account"));
    b.wait_for("#passkeys", 10);
    b.click(".passkey-remove button");
    b.wait_for("#no-passkeys", 10);
    assert_eq!(entries("passkey.remove").len(), 1);
    let (st, v) = s.call("GET", "/api/v1/me/passkeys", Some(&token), None);
    assert_eq!(st, 200, "{v}");
    assert_eq!(v, json!([]));
    // The removed key no longer signs in: the account has no passkey to ask for.
    let (st, v) = s.call(
        "POST",
        "/api/v1/login",
        None,
        Some(json!({"username": "operator", "password": ADMIN_PASSWORD})),
    );
    assert_eq!(st, 200, "{v}");
    let (st, v) = s.call(
        "POST",
        "/api/v1/login/passkey/options",
        None,
        Some(json!({"challenge": v["challenge"]})),
    );
    assert_eq!(st, 403, "{v}");

    // An admin's MFA reset removes the passkey too.
    let (st, users) = s.call("GET", "/api/v1/users", Some(&token), None);
    assert_eq!(st, 200, "{users}");
    let me = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "operator")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (st, v) = s.call(
        "POST",
        &format!("/api/v1/users/{me}/mfa/reset"),
        Some(&token),
        None,
    );
    assert_eq!(st, 200, "{v}");
    let (st, v) = s.call(
        "POST",
        "/api/v1/login",
        None,
        Some(json!({"username": "operator", "password": ADMIN_PASSWORD})),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        v["mfa"], "enrol",
        "no second factor left after the reset: {v}"
    );
}
