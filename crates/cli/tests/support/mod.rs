//! A small harness: start the real `sightline` binary on 127.0.0.1:0 in a temporary data
//! directory, learn its port from stdout, and talk JSON to it.

#![allow(dead_code)]

pub mod crash;
pub mod plates;
pub mod webdriver;

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const ADMIN_PASSWORD: &str = "operator-password-123";

pub struct Server {
    pub child: Child,
    pub url: String,
    pub data: PathBuf,
}

impl Server {
    /// Starts a node on `data` (bootstrapping `oak-park-pd` and `operator` when new).
    pub fn start(data: &Path) -> Server {
        Server::start_at(data, "127.0.0.1:0")
    }

    /// Starts a node on `data` listening on `listen` (to restart one on the port it had).
    pub fn start_at(data: &Path, listen: &str) -> Server {
        // These tests predate multi-factor sign-in: their agency requires no second factor. The
        // MFA test starts with the node's default (`Server::start_with(.., "")`).
        Server::start_with(data, listen, "[security]\npublic_mfa_roles = []\n")
    }

    /// Starts a node with `extra` appended to the configuration file.
    pub fn start_with(data: &Path, listen: &str, extra: &str) -> Server {
        let config = data.with_extension("toml");
        std::fs::write(
            &config,
            format!(
                r#"data_dir = "{}"
listen = "{listen}"
durability = "power"
# The webhook test's receiver listens on loopback: allowed by the operator, as a deployment
# would allow an internal receiver.
webhook_allow_hosts = ["127.0.0.1"]
[ingest]
max_batch = 1000
[bootstrap]
agency_id = "oak-park-pd"
agency_name = "Oak Park Police Department"
agency_kind = "municipal"
jurisdiction = "US-IL"
admin_username = "operator"
admin_password_env = "SIGHTLINE_TEST_ADMIN_PASSWORD"
{extra}"#,
                data.display(),
                listen = listen,
                extra = extra,
            ),
        )
        .unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_sightline"))
            .args(["serve", "--config"])
            .arg(&config)
            .env("SIGHTLINE_TEST_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start sightline");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            let line = lines
                .next()
                .expect("server exited before listening")
                .unwrap();
            if let Some(rest) = line.strip_prefix("sightline listening on ") {
                break rest.trim().to_owned();
            }
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server {
            child,
            url,
            data: data.to_owned(),
        }
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        call(&self.url, method, path, token, body)
    }

    pub fn login(&self, username: &str, password: &str) -> String {
        let (s, v) = self.call(
            "POST",
            "/api/v1/login",
            None,
            Some(json!({"username": username, "password": password})),
        );
        assert_eq!(s, 200, "login {username}: {v}");
        v["token"].as_str().unwrap().to_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn call(
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    try_call(base, method, path, token, body).unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// Like [`call`], but a transport failure (the server was killed) is an `Err`, not a panic.
pub fn try_call(
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Result<(u16, Value), String> {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .build();
    let mut req = agent.request(method, &format!("{base}{path}"));
    if let Some(t) = token {
        req = req.set("Authorization", &format!("Bearer {t}"));
    }
    let result = match body {
        Some(b) => req.send_json(b),
        None => req.call(),
    };
    let resp = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => return Err(e.to_string()),
    };
    let status = resp.status();
    let text = resp.into_string().map_err(|e| e.to_string())?;
    Ok((
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    ))
}

pub fn raw_post(base: &str, path: &str, token: &str, body: &str) -> (u16, Value) {
    let resp = match ureq::post(&format!("{base}{path}"))
        .set("Authorization", &format!("Bearer {token}"))
        .set("Content-Type", "application/json")
        .send_string(body)
    {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("POST {path}: {e}"),
    };
    let status = resp.status();
    let text = resp.into_string().unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The per-owner decision for `id` in a search response.
pub fn owner<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["owners"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["owner"] == id)
        .unwrap_or_else(|| panic!("no decision for {id}: {v}"))
}

/// A running `sightline demo` (killed on drop) with its credentials file.
pub struct Demo {
    pub child: Child,
    pub url: String,
    pub creds: Value,
}

impl Demo {
    /// Starts `sightline demo` on port 0 in `data` and waits for its banner.
    pub fn start(data: &Path, rate: &str) -> Demo {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sightline"))
            .args(["demo", "--port", "0", "--rate", rate, "--data"])
            .arg(data)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let url = loop {
            let line = lines.next().expect("demo exited early").unwrap();
            if let Some(u) = line.strip_prefix("Sightline demo node: ") {
                break u.trim().to_owned();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        let creds: Value =
            serde_json::from_slice(&std::fs::read(data.join("demo-credentials.json")).unwrap())
                .unwrap();
        Demo { child, url, creds }
    }

    /// The API token of a demo user.
    pub fn token(&self, username: &str) -> String {
        self.creds["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["username"] == username)
            .unwrap_or_else(|| panic!("no demo user {username}"))["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What `sightline recognize --region BR` reads on each frame in `dir`, by file name: the plates a
/// node fed by the edge agent must end up holding.
pub fn recognized_frames(staging: &Path) -> std::collections::BTreeMap<String, Option<String>> {
    let out = Command::new(env!("CARGO_BIN_EXE_sightline"))
        .args(["recognize", "--json", "--region", "BR"])
        .arg(staging)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let name = Path::new(r["image"].as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let text = r["plates"][0]["text"].as_str().map(str::to_owned);
            (name, text)
        })
        .collect()
}

/// The TOTP code of a base32 `secret` for the time step `offset` seconds from now, computed by the
/// node's own function (as `sightline totp` does).
pub fn totp(secret: &str, offset: i64) -> String {
    let at = (chrono::Utc::now().timestamp() + offset).max(0) as u64;
    sightline_server::mfa::totp_code(secret.trim(), at).expect("a base32 TOTP secret")
}

/// The audit entries of `action` that `token` may read (up to 1,000).
pub fn audit_actions(s: &Server, token: &str, action: &str) -> Vec<Value> {
    let (st, v) = s.call(
        "GET",
        &format!("/api/v1/audit/entries?action={action}&limit=1000"),
        Some(token),
        None,
    );
    assert_eq!(st, 200, "{v}");
    v.as_array()
        .or_else(|| v["entries"].as_array())
        .cloned()
        .unwrap_or_default()
}

/// An evidence package archive (uncompressed tar) with one byte of `file`'s content changed: the
/// first digit after the file's 512-byte header, raised by one (9 becomes 8).
pub fn tamper_tar(tar: &[u8], file: &str) -> Vec<u8> {
    let needle = format!("/{file}");
    let name = tar
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())
        .unwrap_or_else(|| panic!("{file} not in the archive"));
    let content = (name / 512 + 1) * 512;
    let digit = content + tar[content..].iter().position(u8::is_ascii_digit).unwrap();
    let mut bad = tar.to_vec();
    bad[digit] = if bad[digit] == b'9' {
        b'8'
    } else {
        bad[digit] + 1
    };
    bad
}
