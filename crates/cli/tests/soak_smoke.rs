//! `sightline bench soak` runs end to end: a few seconds of HTTP ingest, searches, the alert
//! stream and retention, with its figures printed and no failed request. (The benchmark itself
//! is run by hand for its figures; see the README's reliability section.)

#[test]
fn test_bench_soak_smoke() {
    let tmp = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sightline"))
        .args([
            "bench",
            "soak",
            "--duration",
            "5",
            "--rate",
            "2000",
            "--hot-entries",
            "1000",
            "--hit-rate",
            "0.01",
            "--retention-every",
            "2",
            "--data",
        ])
        .arg(tmp.path().join("soak"))
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for figure in [
        "reads acknowledged",
        "POST /api/v1/reads",
        "POST /api/v1/searches",
        "retention run",
        "hits delivered",
        "open file descriptors",
        "graceful shutdown",
        "reads acknowledged per minute",
        "CPU seconds over the run: writer thread",
        "group commits of",
        "checkpoint thread:",
    ] {
        assert!(text.contains(figure), "no `{figure}` in:\n{text}");
    }
    assert!(text.contains("stream ended by the server: true"), "{text}");
}
