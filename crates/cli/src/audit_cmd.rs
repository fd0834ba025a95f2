//! `sightline audit verify|export`: the offline fsck and the export.

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use sightline_audit::{Checkpoint, VerifyReport};
use std::path::{Path, PathBuf};

/// Audit log commands.
#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Recompute every hash of an audit log and check checkpoints; say exactly what is wrong.
    Verify {
        /// A node's data directory.
        #[arg(long, conflicts_with = "log")]
        data: Option<PathBuf>,
        /// An exported log (JSON Lines, from `audit export` or the API).
        #[arg(long)]
        log: Option<PathBuf>,
        /// Checkpoint files to check the log against, repeatable: JSON (a checkpoint or the API's
        /// answer) or a C2SP checkpoint note (GET /api/v1/audit/checkpoint/note).
        #[arg(long = "checkpoint")]
        checkpoints: Vec<PathBuf>,
        /// The node's Ed25519 public key: 64 hex digits, or its C2SP verifier key
        /// (`<origin>+<key id>+<base64>`). Required with --log; with --data it defaults to the
        /// directory's own key.
        #[arg(long)]
        public_key: Option<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Export a data directory's log as JSON Lines or CSV.
    Export {
        /// The node's data directory.
        #[arg(long)]
        data: PathBuf,
        /// `jsonl` or `csv`.
        #[arg(long, default_value = "jsonl")]
        format: String,
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

fn read_checkpoint(p: &Path) -> Result<Checkpoint> {
    let text = std::fs::read_to_string(p)
        .with_context(|| format!("cannot read checkpoint {}", p.display()))?;
    if !text.trim_start().starts_with('{') {
        // A C2SP tlog-checkpoint signed note (GET /api/v1/audit/checkpoint/note).
        return Checkpoint::from_note(&text).map_err(|e| {
            anyhow::anyhow!(
                "{} is neither a JSON checkpoint nor a C2SP checkpoint note: {e}",
                p.display()
            )
        });
    }
    // Accept a bare checkpoint or the API's {checkpoint, public_key} answer.
    let v: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", p.display()))?;
    let cp = v.get("checkpoint").cloned().unwrap_or(v);
    serde_json::from_value(cp).with_context(|| format!("{} is not a checkpoint", p.display()))
}

/// Parses `--public-key`: 64 hex digits, or a C2SP verifier key `<name>+<id>+<base64>` (whose
/// name must then be the origin of every checkpoint given).
fn parse_key(s: &str, cps: &[Checkpoint]) -> Result<ed25519_dalek::VerifyingKey> {
    if !s.contains('+') {
        return Ok(sightline_audit::parse_public_key(s)?);
    }
    let v = sightline_audit::NoteVerifier::parse(s.trim())
        .map_err(|e| anyhow::anyhow!("--public-key is not a C2SP verifier key: {e}"))?;
    if let Some(cp) = cps.iter().find(|c| c.origin != v.name()) {
        bail!(
            "the verifier key is named `{}` but a checkpoint is of the log `{}`",
            v.name(),
            cp.origin
        );
    }
    Ok(*v.public_key())
}

fn print(report: &VerifyReport, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(report)?);
        return Ok(());
    }
    let status = if report.is_ok() {
        "OK"
    } else {
        "FAILED verification"
    };
    println!(
        "audit log {status}: {} entries, root {}, head {}",
        report.entries, report.root, report.head
    );
    for c in &report.checkpoints {
        match &c.what {
            None => println!("  checkpoint size {} ({}): ok", c.size, c.time),
            Some(w) => println!("  checkpoint size {} ({}): {w}", c.size, c.time),
        }
    }
    if report.unanchored_entries > 0 {
        println!(
            "  {} entries after the newest valid checkpoint are not yet covered by a signature",
            report.unanchored_entries
        );
    }
    for p in &report.problems {
        if p.seq == 0 {
            println!("  {}", p.what);
        } else {
            println!("  entry {}: {}", p.seq, p.what);
        }
    }
    Ok(())
}

/// Runs an audit command; `Ok(false)` when verification failed.
///
/// # Errors
/// Unreadable inputs.
pub fn run(cmd: AuditCommand) -> Result<bool> {
    match cmd {
        AuditCommand::Verify {
            data,
            log,
            checkpoints,
            public_key,
            json,
        } => {
            let cps = checkpoints
                .iter()
                .map(|p| read_checkpoint(p))
                .collect::<Result<Vec<_>>>()?;
            let key = public_key
                .as_deref()
                .map(|k| parse_key(k, &cps))
                .transpose()?;
            let report = match (data, log) {
                (Some(dir), None) => sightline_audit::verify_dir(&dir, &cps, key.as_ref())
                    .map_err(|e| {
                        anyhow::anyhow!("cannot read the audit log in {}: {e}", dir.display())
                    })?,
                (None, Some(file)) => {
                    if key.is_none() {
                        bail!("--log needs --public-key: an export carries no key of its own");
                    }
                    let f = std::fs::File::open(&file)
                        .with_context(|| format!("cannot open {}", file.display()))?;
                    sightline_audit::verify_jsonl(std::io::BufReader::new(f), &cps, key.as_ref())?
                }
                _ => bail!("give either --data DIR or --log FILE"),
            };
            print(&report, json)?;
            Ok(report.is_ok())
        }
        AuditCommand::Export { data, format, out } => {
            let mut sink: Box<dyn std::io::Write> = match &out {
                Some(p) => Box::new(std::io::BufWriter::new(
                    std::fs::File::create(p)
                        .with_context(|| format!("cannot create {}", p.display()))?,
                )),
                None => Box::new(std::io::stdout().lock()),
            };
            let n = match format.as_str() {
                "jsonl" => sightline_audit::export_dir(&data, &mut sink)?,
                "csv" => {
                    let mut jsonl = Vec::new();
                    sightline_audit::export_dir(&data, &mut jsonl)?;
                    let entries = jsonl
                        .split(|b| *b == b'\n')
                        .filter(|l| !l.is_empty())
                        .map(serde_json::from_slice::<sightline_audit::AuditEntry>)
                        .collect::<Result<Vec<_>, _>>()?;
                    sightline_audit::write_csv(entries.iter(), &mut sink)?
                }
                other => bail!("format must be jsonl or csv, not `{other}`"),
            };
            sink.flush()?;
            eprintln!("exported {n} entries");
            Ok(true)
        }
    }
}
