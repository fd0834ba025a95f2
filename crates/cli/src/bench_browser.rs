//! `sightline bench map --browser`: loads the benchmark's search results page in headless
//! Chromium, driven through chromedriver (W3C WebDriver), and reports what the browser took:
//! navigation start to first paint, first contentful paint, DOM ready and the load event (the
//! map's script has run by then), from the page's own Navigation and Paint Timing entries.
//!
//! The page is served by a one-page HTTP server on 127.0.0.1 in this process (`no-store`, so
//! every run fetches and parses it anew). A small WebDriver client of our own (a few calls over
//! `ureq`): the tests' client lives in the tests' support code, which a binary cannot use.

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Serves `page` to every request until the process ends; returns its URL.
fn serve(page: String) -> Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}/", listener.local_addr()?);
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncache-control: no-store\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        page.len()
    );
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            // Read the request head (small GETs), then answer with the page.
            let mut buf = [0u8; 4096];
            let mut got = Vec::new();
            while let Ok(n) = s.read(&mut buf) {
                got.extend_from_slice(&buf[..n]);
                if n == 0 || got.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            let favicon = got.starts_with(b"GET /favicon");
            let _ = if favicon {
                s.write_all(
                    b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                )
            } else {
                s.write_all(head.as_bytes())
                    .and_then(|()| s.write_all(page.as_bytes()))
            };
        }
    });
    Ok(url)
}

/// chromedriver and one headless Chromium session; both end when this is dropped.
struct Driver {
    child: Child,
    base: String,
    session: String,
    profile: std::path::PathBuf,
}

fn call(method: &str, url: &str, body: Option<Value>) -> Result<Value> {
    let req = ureq::request(method, url).timeout(Duration::from_secs(120));
    let resp = match body {
        Some(b) => req.send_json(b),
        None => req.call(),
    };
    let resp = match resp {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => return Err(e).with_context(|| format!("webdriver {url}")),
    };
    let v: Value = resp.into_json()?;
    Ok(v["value"].clone())
}

impl Driver {
    fn start() -> Result<Driver> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting chromedriver (Debian packages chromium and chromium-driver)")?;
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while ureq::get(&format!("{base}/status")).call().is_err() {
            if started.elapsed() > Duration::from_secs(20) {
                bail!("chromedriver did not start");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = std::env::temp_dir().join(format!("sightline-bench-chromium-{port}"));
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
        args.push(format!("--user-data-dir={}", profile.display()));
        let v = call(
            "POST",
            &format!("{base}/session"),
            Some(
                json!({"capabilities": {"alwaysMatch": {"browserName": "chrome",
                "pageLoadStrategy": "normal",
                "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}}}}),
            ),
        )?;
        let Some(session) = v["sessionId"].as_str() else {
            bail!("chromedriver gave no session: {v}");
        };
        Ok(Driver {
            child,
            base,
            session: session.to_owned(),
            profile,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/session/{}{path}", self.base, self.session)
    }

    fn script(&self, js: &str) -> Result<Value> {
        call(
            "POST",
            &self.url("/execute/sync"),
            Some(json!({"script": js, "args": []})),
        )
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = call("DELETE", &self.url(""), None);
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Loads `page` `runs` times (plus one warm-up load that is not counted) and prints the
/// median and 95th percentile of each figure.
///
/// # Errors
/// chromedriver or Chromium are missing, or the page gave no timing entries.
pub fn run(page: String, runs: usize) -> Result<()> {
    let bytes = page.len();
    let url = serve(page)?;
    let d = Driver::start()?;
    let names = [
        "first paint",
        "first contentful paint",
        "DOM ready",
        "load event",
    ];
    let mut figures: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    for i in 0..=runs.max(1) {
        call(
            "POST",
            &d.url("/url"),
            Some(json!({"url": format!("{url}?run={i}")})),
        )?;
        // The navigation returns after the load event; wait until its end is recorded and the
        // paint entries are there.
        let mut v = Value::Null;
        for _ in 0..50 {
            v = d.script(
                "var n = performance.getEntriesByType('navigation')[0];
                 var p = {}; performance.getEntriesByType('paint').forEach(function (e) { p[e.name] = e.startTime; });
                 return n && n.loadEventEnd > 0 ? [p['first-paint'], p['first-contentful-paint'],
                   n.domContentLoadedEventEnd, n.loadEventEnd,
                   document.querySelectorAll('svg.map g.cam').length] : null;",
            )?;
            if v.is_array() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let Some(a) = v.as_array() else {
            bail!("no navigation timing from the page: {v}");
        };
        if i == 0 {
            println!(
                "bench map --browser: {} camera markers in the page's maps, {bytes} bytes",
                a[4]
            );
            continue; // warm-up: Chromium's first start of a renderer
        }
        for (k, f) in figures.iter_mut().enumerate() {
            f.push(a[k].as_f64().unwrap_or(f64::NAN));
        }
    }
    for (name, f) in names.iter().zip(&mut figures) {
        f.sort_by(f64::total_cmp);
        println!(
            "bench map --browser: navigation start → {name}: median {:.0} ms, p95 {:.0} ms, max {:.0} ms ({} loads)",
            crate::bench::percentile(f, 0.5),
            crate::bench::percentile(f, 0.95),
            f.last().copied().unwrap_or_default(),
            f.len()
        );
    }
    Ok(())
}
