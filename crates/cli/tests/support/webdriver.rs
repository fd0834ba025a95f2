//! A minimal W3C WebDriver client over `ureq`, enough to drive headless Chromium through
//! chromedriver: sessions, navigation, elements, keys, clicks, text, screenshots.

#![allow(dead_code)]

use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    _profile: tempfile::TempDir,
}

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn post(url: &str, body: Value) -> Value {
    let resp = match ureq::post(url).send_json(body) {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("webdriver {url}: {e}"),
    };
    resp.into_json::<Value>().unwrap()["value"].clone()
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session.
    pub fn start() -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver must be installed (Debian packages chromium and chromium-driver; .ci/run installs them)");
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while ureq::get(&format!("{base}/status")).call().is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = tempfile::tempdir().unwrap();
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-dev-shm-usage",
            "--window-size=1280,1000",
        ];
        let mut args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let v = post(
            &format!("{base}/session"),
            json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome", "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}}}}),
        );
        let session = v["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {v}"))
            .to_owned();
        Browser {
            driver,
            base,
            session,
            _profile: profile,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/session/{}{path}", self.base, self.session)
    }

    pub fn goto(&self, url: &str) {
        post(&self.url("/url"), json!({"url": url}));
    }

    /// Finds an element by CSS selector, waiting up to `secs` for it to appear.
    pub fn wait_for(&self, css: &str, secs: u64) -> String {
        let started = Instant::now();
        loop {
            let v = post(
                &self.url("/element"),
                json!({"using": "css selector", "value": css}),
            );
            if let Some(id) = v[ELEMENT].as_str() {
                return id.to_owned();
            }
            assert!(
                started.elapsed() < Duration::from_secs(secs),
                "no element `{css}` on {}",
                self.source_excerpt()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn find(&self, css: &str) -> String {
        self.wait_for(css, 5)
    }

    pub fn count(&self, css: &str) -> usize {
        post(
            &self.url("/elements"),
            json!({"using": "css selector", "value": css}),
        )
        .as_array()
        .map_or(0, Vec::len)
    }

    pub fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css);
        post(&self.url(&format!("/element/{el}/clear")), json!({}));
        post(
            &self.url(&format!("/element/{el}/value")),
            json!({"text": text}),
        );
    }

    pub fn select(&self, css: &str, value: &str) {
        self.script(&format!(
            "document.querySelector({css:?}).value = {value:?};"
        ));
    }

    pub fn click(&self, css: &str) {
        let el = self.find(css);
        post(&self.url(&format!("/element/{el}/click")), json!({}));
    }

    /// Clicks something that loads a new page and waits for `css` on the NEW page: the page on
    /// screen is marked first, so an element the old page already has does not count.
    pub fn click_to_new_page(&self, click: &str, css: &str, secs: u64) -> String {
        self.script("document.documentElement.dataset.oldPage = '1'; return null");
        self.click(click);
        self.wait_for(&format!("html:not([data-old-page]) {css}"), secs)
    }

    pub fn text(&self, css: &str) -> String {
        let el = self.find(css);
        let resp = ureq::get(&self.url(&format!("/element/{el}/text")))
            .call()
            .unwrap();
        resp.into_json::<Value>().unwrap()["value"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub fn script(&self, js: &str) -> Value {
        post(
            &self.url("/execute/sync"),
            json!({"script": js, "args": []}),
        )
    }

    /// Runs an async script: the page calls `arguments[arguments.length - 1](value)` when done.
    pub fn script_async(&self, js: &str, args: Value) -> Value {
        post(
            &self.url("/execute/async"),
            json!({"script": js, "args": args}),
        )
    }

    /// Adds a WebAuthn virtual authenticator (a CTAP2 USB security key that always consents), so
    /// `navigator.credentials` works headless (WebDriver's Web Authentication extension).
    pub fn add_virtual_authenticator(&self) -> String {
        let v = post(
            &self.url("/webauthn/authenticator"),
            json!({"protocol": "ctap2", "transport": "usb", "hasResidentKey": false,
                   "hasUserVerification": false, "isUserConsenting": true}),
        );
        v.as_str()
            .unwrap_or_else(|| panic!("no virtual authenticator: {v}"))
            .to_owned()
    }

    pub fn page_text(&self) -> String {
        self.script("return document.body.innerText;")
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    fn source_excerpt(&self) -> String {
        self.page_text().chars().take(600).collect()
    }

    pub fn screenshot(&self, name: &str) {
        use base64::Engine;
        let resp = ureq::get(&self.url("/screenshot")).call().unwrap();
        let b64 = resp.into_json::<Value>().unwrap()["value"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(name),
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap(),
        )
        .unwrap();
    }

    /// Sets the browser window's size (the page's viewport follows it in headless Chromium).
    pub fn set_window_size(&self, width: u32, height: u32) {
        post(
            &self.url("/window/rect"),
            json!({"width": width, "height": height}),
        );
    }

    /// Types keys (WebDriver key codes: `\u{E004}` Tab, `\u{E007}` Enter) wherever the focus
    /// is, as a keyboard would (WebDriver key actions).
    pub fn keys_to_focused(&self, keys: &str) {
        let mut actions = Vec::new();
        for c in keys.chars() {
            actions.push(json!({"type": "keyDown", "value": c.to_string()}));
            actions.push(json!({"type": "keyUp", "value": c.to_string()}));
        }
        post(
            &self.url("/actions"),
            json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]}),
        );
    }

    /// Writes a PNG screenshot of the viewport to `path`.
    pub fn screenshot_to(&self, path: &std::path::Path) {
        use base64::Engine;
        let resp = ureq::get(&self.url("/screenshot")).call().unwrap();
        let b64 = resp.into_json::<Value>().unwrap()["value"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        std::fs::write(
            path,
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap(),
        )
        .unwrap();
    }

    /// Uses an API token as the web session on `base` (the web session is the same kind of
    /// token), so a test reaches pages as a demo user without its second factor.
    pub fn use_session(&self, base: &str, token: &str) {
        self.goto(&format!("{base}/healthz"));
        self.script(&format!("document.cookie = 'sl_session={token}; path=/';"));
    }

    pub fn delete_cookies(&self) {
        let _ = ureq::delete(&self.url("/cookie")).call();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = ureq::delete(&format!("{}/session/{}", self.base, self.session)).call();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
