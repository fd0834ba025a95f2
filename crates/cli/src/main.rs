//! `sightline`: run a node (`serve`), the demo (`demo`), verify an audit log (`audit verify`),
//! read plates (`recognize`, `eval recognition`), run a camera's edge agent (`camera`), and
//! benchmarks (`bench …`).

mod audit_cmd;
mod bench;
mod bench_analysis;
mod bench_browser;
mod bench_map;
mod camera_cmd;
mod demo;
mod demo_searches;
mod evidence_cmd;
mod fleet;
mod recognize_cmd;
mod serve;
mod soak;

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "sightline",
    version,
    about = "Sightline ALPR node: law enforced before search, every access provable"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a node from a configuration file (see docs/config.md).
    Serve {
        /// TOML configuration file.
        #[arg(long)]
        config: PathBuf,
    },
    /// Run a demo node: seeded multi-agency network, simulated traffic, the web UI and the API.
    Demo {
        /// Data directory (created and seeded when empty).
        #[arg(long, default_value = "./sightline-demo")]
        data: PathBuf,
        /// Port to listen on.
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Address to bind.
        #[arg(long, default_value = "127.0.0.1")]
        bind: String,
        /// Simulated reads per second.
        #[arg(long, default_value_t = 10.0)]
        rate: f64,
    },
    /// Prints the current TOTP code of a base32 secret (for the demo's accounts).
    Totp {
        /// The secret (`totp_secret` in demo-credentials.json).
        secret: String,
    },
    /// Audit log tools.
    Audit {
        #[command(subcommand)]
        command: audit_cmd::AuditCommand,
    },
    /// Evidence packages: export one of your searches from a node, verify a package offline.
    Evidence {
        #[command(subcommand)]
        command: evidence_cmd::EvidenceCommand,
    },
    /// Oversight: analyse audit logs (Sightline exports, Flock CSVs).
    Oversight {
        #[command(subcommand)]
        command: OversightCommand,
    },
    /// Law packs and policies.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// Benchmarks (figures, not pass/fail).
    Bench {
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
    /// Find and read every plate in images (JPEG or PNG files, or folders of them).
    Recognize {
        /// Image files or folders.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Print JSON (boxes, corners, per-character confidence, region, colour).
        #[arg(long)]
        json: bool,
        /// Worker threads (default: one per core).
        #[arg(long)]
        threads: Option<usize>,
        #[command(flatten)]
        recognizer: recognize_cmd::RecognizerArgs,
    },
    /// Evaluations against labelled data.
    Eval {
        #[command(subcommand)]
        command: EvalCommand,
    },
    /// The camera edge agent: read plates from a folder or video and post them to a node.
    Camera(camera_cmd::CameraArgs),
}

#[derive(Subcommand)]
enum EvalCommand {
    /// Detection recall, exact-plate accuracy and speed on a folder in the OpenALPR benchmark
    /// layout (NAME.jpg beside NAME.txt: `NAME.jpg<TAB>x<TAB>y<TAB>w<TAB>h<TAB>PLATE`), or on a
    /// folder with a `boxes.csv` (`split,image,xmin,ymin,xmax,ymax`): recall by plate width and,
    /// with --labels, exact-plate accuracy and calibration on the hand-labelled plates.
    Recognition {
        /// The folder.
        dir: PathBuf,
        /// With a boxes.csv folder: the split to evaluate.
        #[arg(long, default_value = "valid")]
        split: String,
        /// With a boxes.csv folder: plate text labels (training/labels/*.tsv).
        #[arg(long)]
        labels: Option<PathBuf>,
        /// Print the report as JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Also write the JSON report to this file.
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        recognizer: recognize_cmd::RecognizerArgs,
    },
}

#[derive(Subcommand)]
enum OversightCommand {
    /// Analyse audit exports and report reach, look-back, reasons, outliers and federal involvement.
    Analyze {
        /// Files: Sightline JSON Lines exports or Flock organisation / network audit CSVs.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Retention the searched data was supposed to have, days.
        #[arg(long, default_value_t = 30.0)]
        retention_days: f64,
        /// Write the JSON report here.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Write the HTML report here.
        #[arg(long)]
        html: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Measure purpose screening on labelled reason corpora (TSV, see
    /// crates/policy/screening/eval/README.md): catch rate of evasive reasons, false refusals and
    /// flags of ordinary ones. Exit 1 when a corpus misses the targets (>= 95% caught, <= 2%
    /// refused, <= 5% flagged).
    ScreenEval {
        /// Corpus files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Evaluate a hypothetical search (JSON, see docs/policy.md) against the packs, touching no data.
    Explain {
        /// The request as JSON (`-` for standard input).
        request: PathBuf,
        /// A deployment's pack directory, merged over the shipped packs.
        #[arg(long)]
        packs_dir: Option<PathBuf>,
        /// An agency policy to apply to the owner: a Cedar file.
        #[arg(long)]
        agency_policy: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `sightline policy screen-eval`: prints each corpus's figures; false when one misses a target.
fn screen_eval(files: &[PathBuf]) -> Result<bool> {
    let mut ok = true;
    for f in files {
        let src = std::fs::read_to_string(f)
            .map_err(|e| anyhow::anyhow!("reading the corpus {}: {e}", f.display()))?;
        let report =
            sightline_policy::screening::eval::evaluate_text(&f.display().to_string(), &src)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        print!("{report}");
        ok &= report.catch_rate() >= 0.95
            && report.false_refusal_rate() <= 0.02
            && report.false_flag_rate() <= 0.05;
    }
    Ok(ok)
}

/// Resolves on Ctrl-C or SIGTERM: the one shutdown signal.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(
            "info,tower_http=warn,tract_linalg=warn,tract_core=warn,tract_onnx=warn,tract_hir=warn",
        )
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn policy_explain(
    request: &std::path::Path,
    packs_dir: Option<&std::path::Path>,
    agency_policy: Option<&std::path::Path>,
    json: bool,
) -> Result<bool> {
    use anyhow::Context;
    let text = if request == std::path::Path::new("-") {
        std::io::read_to_string(std::io::stdin())?
    } else {
        std::fs::read_to_string(request)
            .with_context(|| format!("cannot read {}", request.display()))?
    };
    let req: sightline_policy::explain::ExplainRequest = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a valid explain request", request.display()))?;
    let mut packs = sightline_policy::packs::shipped()?;
    if let Some(dir) = packs_dir {
        packs = sightline_policy::packs::merge(packs, sightline_policy::packs::read_dir(dir)?);
    }
    let mut engine = sightline_policy::PolicyEngine::with_packs(packs)?;
    if let Some(path) = agency_policy {
        let cedar = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        engine.set_agency_policy(&req.owner.agency, &cedar)?;
    }
    let e = req.explain(&engine)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&e)?);
    } else {
        println!("{}: {} ({})", e.decision.to_uppercase(), e.rule, e.citation);
        println!("  {}", e.explanation);
        let purposes: Vec<&str> = e.purposes.iter().map(|p| p.code()).collect();
        println!("  purposes considered: {}", purposes.join(", "));
        for h in &e.screening {
            println!(
                "  screening: {} matched `{}` -> {}",
                h.rule, h.term, h.purpose
            );
        }
        println!(
            "  packs applied to the owner: {}; owner retention {} minutes",
            e.packs.join(", "),
            e.owner_retention_minutes
        );
    }
    Ok(true)
}

fn oversight(
    files: &[PathBuf],
    retention_days: f64,
    json: Option<&std::path::Path>,
    html: Option<&std::path::Path>,
) -> Result<bool> {
    use anyhow::Context;
    let mut records = Vec::new();
    let mut summaries = Vec::new();
    for f in files {
        let (r, s) = sightline_oversight::read_file(f)?;
        records.extend(r);
        summaries.push(s);
    }
    let report = sightline_oversight::analyze(&records, summaries, retention_days);
    if let Some(p) = json {
        std::fs::write(p, serde_json::to_vec_pretty(&report)?)
            .with_context(|| format!("cannot write {}", p.display()))?;
    }
    if let Some(p) = html {
        let title = format!(
            "Oversight report: {}",
            files
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        std::fs::write(p, sightline_oversight::html::render(&report, &title))
            .with_context(|| format!("cannot write {}", p.display()))?;
    }
    let t = &report.totals;
    println!(
        "{} searches, {:.1} days, {} agencies, {} officers",
        t.searches, t.span_days, t.agencies, t.officers
    );
    println!(
        "usage watch: {} finding(s) (the live node's detectors, default thresholds)",
        report.watch.len()
    );
    for f in &report.watch {
        println!(
            "  {:<18} {} / {}: {} (rows {})",
            f.kind.code(),
            f.agency,
            if f.user.is_empty() {
                "(no officer)"
            } else {
                &f.user
            },
            f.summary,
            f.entries
                .iter()
                .map(|e| format!("{}:{e}", f.source))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    for f in &report.files {
        println!(
            "  {} ({}): {} rows, {} problems, columns not understood: [{}]",
            f.file,
            f.format,
            f.rows,
            f.problems.len(),
            f.unknown_columns.join(", ")
        );
        for (line, p) in f.problems.iter().take(10) {
            println!("    line {line}: {p}");
        }
    }
    let pct = |x: f64| x * 100.0;
    println!(
        "reach: {} single-network, {} multi-network ({:.1}%), max {} networks / {} devices",
        report.reach.single_network.count,
        report.reach.multi_network.count,
        pct(report.reach.multi_network.share),
        report.reach.max_networks,
        report.reach.max_devices
    );
    println!(
        "look-back beyond {:.0} days: {} searches, longest {:.1} days",
        retention_days, report.lookback.beyond_retention.count, report.lookback.max_days
    );
    println!(
        "reasons: {} blank, {} vague, {} case number only",
        report.reasons.blank.count,
        report.reasons.vague.count,
        report.reasons.case_number_only.count
    );
    for p in &report.reasons.prohibited {
        let lines: Vec<String> = p
            .finding
            .rows
            .iter()
            .take(10)
            .map(|r| r.line.to_string())
            .collect();
        println!(
            "  {} ({}): {} searches, rows {}",
            p.rule,
            p.purpose,
            p.finding.count,
            lines.join(", ")
        );
    }
    println!("federal agencies named: {} searches", report.federal.count);
    for o in report
        .agency_outliers
        .iter()
        .chain(&report.officer_outliers)
    {
        println!(
            "outlier: {} with {} searches (median {:.0})",
            o.name, o.searches, o.median
        );
    }
    Ok(true)
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let result: Result<bool> = (|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        match cli.command {
            Command::Serve { config } => rt.block_on(serve::run(&config)).map(|()| true),
            Command::Demo {
                data,
                port,
                bind,
                rate,
            } => {
                let opts = demo::DemoOptions {
                    data,
                    listen: format!("{bind}:{port}"),
                    rate,
                };
                rt.block_on(demo::run(opts)).map(|()| true)
            }
            Command::Audit { command } => audit_cmd::run(command),
            Command::Totp { secret } => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)?
                    .as_secs();
                println!(
                    "{}",
                    sightline_server::mfa::totp_code(secret.trim(), now)
                        .map_err(|e| anyhow::anyhow!("{e}"))?
                );
                Ok(true)
            }
            Command::Evidence { command } => evidence_cmd::run(command),
            Command::Policy {
                command:
                    PolicyCommand::Explain {
                        request,
                        packs_dir,
                        agency_policy,
                        json,
                    },
            } => policy_explain(
                &request,
                packs_dir.as_deref(),
                agency_policy.as_deref(),
                json,
            ),
            Command::Policy {
                command: PolicyCommand::ScreenEval { files },
            } => screen_eval(&files),
            Command::Oversight {
                command:
                    OversightCommand::Analyze {
                        files,
                        retention_days,
                        json,
                        html,
                    },
            } => oversight(&files, retention_days, json.as_deref(), html.as_deref()),
            Command::Bench { command } => rt.block_on(bench::run(command)).map(|()| true),
            Command::Recognize {
                inputs,
                json,
                threads,
                recognizer,
            } => recognize_cmd::recognize(&inputs, &recognizer, json, threads),
            Command::Eval {
                command:
                    EvalCommand::Recognition {
                        dir,
                        split,
                        labels,
                        json,
                        out,
                        recognizer,
                    },
            } => recognize_cmd::eval(
                &dir,
                &recognize_cmd::BoxesArgs { split, labels },
                &recognizer,
                out.as_deref(),
                json,
            ),
            Command::Camera(args) => camera_cmd::run(args),
        }
    })();
    match result {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::from(1),
        Err(e) => {
            eprintln!("sightline: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
