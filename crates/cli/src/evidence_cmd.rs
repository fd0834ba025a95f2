//! `sightline evidence export|verify`: fetch an evidence package from a node into a directory or
//! a tar archive, and check either offline (hashes, Merkle inclusion proofs, the checkpoint's signature).

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use sightline_types::EvidencePackage;
use std::path::{Component, Path, PathBuf};

/// Evidence package commands.
#[derive(Subcommand, Debug)]
pub enum EvidenceCommand {
    /// Export one of your own earlier searches as an evidence package (an audited access: the
    /// search is re-run under today's policy, and the export is recorded).
    Export {
        /// The node's base URL (`http://127.0.0.1:8080`).
        #[arg(long)]
        url: String,
        /// The audit entry of the search to export.
        #[arg(long)]
        search: u64,
        /// Where to write the package (must not exist yet): a directory, or a file ending in
        /// `.tar` for the archive the web UI downloads (same files, one folder
        /// `evidence-<search>/`; `evidence verify` checks it without unpacking).
        #[arg(long)]
        out: PathBuf,
        /// Environment variable holding your API token (never on the command line).
        #[arg(long, default_value = "SIGHTLINE_TOKEN")]
        token_env: String,
    },
    /// Check a package offline; names every altered or missing file. Exit status 1 when
    /// anything is wrong.
    Verify {
        /// The package: a directory (`evidence export`) or a `.tar` archive (the web UI's
        /// download).
        package: PathBuf,
        /// The node's published note verifier key (`<origin>+<id>+<key>`); without it the
        /// package's own `audit/verifier.txt` is trusted (integrity, not origin).
        #[arg(long)]
        key: Option<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs an evidence command; `Ok(false)` when verification found problems.
///
/// # Errors
/// Network, I/O or server errors.
pub fn run(cmd: EvidenceCommand) -> Result<bool> {
    match cmd {
        EvidenceCommand::Export {
            url,
            search,
            out,
            token_env,
        } => {
            let token = std::env::var(&token_env)
                .with_context(|| format!("set {token_env} to your API token"))?;
            let resp = ureq::post(&format!("{}/api/v1/evidence", url.trim_end_matches('/')))
                .set("authorization", &format!("Bearer {token}"))
                .send_json(serde_json::json!({ "search_seq": search }));
            let pkg: EvidencePackage = match resp {
                Ok(r) => r.into_json().context("reading the package")?,
                Err(ureq::Error::Status(code, r)) => {
                    bail!(
                        "the node refused ({code}): {}",
                        r.into_string().unwrap_or_default()
                    )
                }
                Err(e) => return Err(e).context("calling the node"),
            };
            if is_archive(&out) {
                write_archive(&pkg, &out)?;
            } else {
                write_package(&pkg, &out)?;
            }
            println!(
                "wrote {} files to {} (export audited as entry {})",
                pkg.files.len(),
                out.display(),
                pkg.audit_seq
            );
            Ok(true)
        }
        EvidenceCommand::Verify { package, key, json } => {
            // A directory as `export` writes it, or a tar archive as the web UI downloads it.
            let report = if package.is_file() {
                sightline_audit::evidence::verify_archive(&package, key.as_deref())
            } else {
                sightline_audit::evidence::verify_package(&package, key.as_deref())
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else if report.is_ok() {
                println!(
                    "OK: {} files match the manifest; {} audit entries are included in the signed checkpoint of {} entries",
                    report.files_ok, report.entries_ok, report.checkpoint_size
                );
            } else {
                println!("FAILED: {} problem(s)", report.problems.len());
                for p in &report.problems {
                    println!("  {p}");
                }
            }
            Ok(report.is_ok())
        }
    }
}

/// Whether `out` names an archive (`….tar`) rather than a directory.
fn is_archive(out: &Path) -> bool {
    out.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("tar"))
}

/// Writes a package as one tar archive (the bytes the web UI's download holds).
///
/// # Errors
/// An existing file, an unsafe path in the package, or I/O failures.
pub fn write_archive(pkg: &EvidencePackage, out: &Path) -> Result<()> {
    let bytes = sightline_audit::evidence::package_archive(pkg).context("packing the archive")?;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(out)
        .with_context(|| format!("{} exists already or cannot be created", out.display()))?;
    std::io::Write::write_all(&mut f, &bytes)
        .and_then(|()| f.sync_all())
        .with_context(|| format!("writing {}", out.display()))?;
    Ok(())
}

/// Writes a package's files under `out`, refusing paths that would leave it.
///
/// # Errors
/// An unsafe path, an existing directory, or I/O failures.
pub fn write_package(pkg: &EvidencePackage, out: &Path) -> Result<()> {
    if out.exists() {
        bail!("{} exists already; choose a new directory", out.display());
    }
    let files = sightline_audit::evidence::package_files(pkg).context("reading the package")?;
    for (rel, bytes) in files {
        let rel = Path::new(&rel);
        if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
            bail!("the package names an unsafe path `{}`", rel.display());
        }
        let path = out.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
