//! The analyser on constructed exports, where every figure is known in advance.

use sightline_oversight::{analyze, read_file};
use std::path::Path;

const ORG: &str = "ID,Org_Name,Total_Networks_Searched,Total_Devices_Searched,Time_Frame_Start,Time_Frame_End,Reason,Search_Time,Search_Type,Moderation
a1,Test County SO,1,40,\"05/01/2026, 08:00:00 AM UTC\",\"05/02/2026, 08:00:00 AM UTC\",burglary suspect vehicle,\"05/02/2026, 09:00:00 AM UTC\",lookup,
a2,Test County SO,800,20000,\"04/25/2026, 09:00:00 PM UTC\",\"05/02/2026, 09:00:00 PM UTC\",INV,\"05/02/2026, 09:30:00 PM UTC\",lookup,
a3,Test County SO,1,40,\"01/01/2025, 12:00:00 AM UTC\",\"05/03/2026, 12:00:00 AM UTC\",bolo,\"05/03/2026, 12:00:00 AM UTC\",search,
a4,Test County SO,5000,90000,\"04/28/2026, 01:00:00 PM UTC\",\"05/03/2026, 01:00:00 PM UTC\",I.C.E. assist,\"05/03/2026, 01:05:00 PM UTC\",lookup,
a5,Test County SO,3,30,\"05/03/2026, 02:00:00 PM UTC\",\"05/03/2026, 04:00:00 PM UTC\",,\"05/03/2026, 04:01:00 PM UTC\",search,
a6,Test County SO,800,20000,\"05/01/2026, 12:00:00 AM UTC\",\"05/04/2026, 12:00:00 AM UTC\",Narcotics - HSI,\"05/04/2026, 10:00:00 AM UTC\",lookup,
a7,Test County SO,1,40,\"05/03/2026, 06:00:00 PM UTC\",\"05/04/2026, 06:00:00 PM UTC\",26-004321,\"05/04/2026, 06:30:00 PM UTC\",lookup,
a8,Test County SO,800,20000,\"05/04/2026, 07:00:00 AM UTC\",\"05/04/2026, 11:00:00 AM UTC\",protesters downtown,\"05/04/2026, 11:02:00 AM UTC\",search,Flagged
";

const NETWORK: &str =
    "Name,Org Name,Devices Searched,Networks Searched,Reason,Case #,License Plate,Search Time,Badge
Officer 1,Town PD (TX),80000,6000,deportation,,***,2026-05-03T14:22:10Z,11
Officer 2,City PD (GA),70000,6400,assisting HSI immigration,26-0042,***,2026-05-04T09:01:55Z,12
Officer 3,City PD (GA),100,1,hit and run,26-0043,ABC123,not a time,13
Officer 4,Metro PD (IL),2000,140,Inv,,***,2026-05-05T16:30:12Z
";

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn lines(f: &sightline_oversight::analyze::Finding) -> Vec<u64> {
    f.rows.iter().map(|r| r.line).collect()
}

#[test]
fn test_org_audit_figures_by_construction() {
    let dir = tempfile::tempdir().unwrap();
    let (records, summary) = read_file(&write(dir.path(), "org.csv", ORG)).unwrap();
    assert_eq!(summary.format, "flock-organization-audit");
    assert!(
        summary.unknown_columns.is_empty() && summary.problems.is_empty(),
        "{summary:?}"
    );
    let r = analyze(&records, vec![summary], 30.0);
    assert_eq!(r.totals.searches, 8);
    assert_eq!(r.totals.by_type.get("lookup"), Some(&5));
    assert_eq!(
        (r.reach.single_network.count, r.reach.multi_network.count),
        (3, 5)
    );
    assert_eq!(lines(&r.reach.single_network), vec![2, 4, 8]);
    assert_eq!((r.reach.max_networks, r.reach.max_devices), (5000, 90000));
    assert!((r.reach.mean_networks - 7406.0 / 8.0).abs() < 1e-9);
    assert_eq!(lines(&r.lookback.beyond_retention), vec![4]);
    assert!(
        (r.lookback.max_days - 487.0).abs() < 0.01,
        "{}",
        r.lookback.max_days
    );
    assert_eq!(r.lookback.reasons, vec![("bolo".to_owned(), 1)]);
    assert_eq!(lines(&r.reasons.blank), vec![6]);
    assert_eq!(lines(&r.reasons.vague), vec![3, 4]);
    assert_eq!(lines(&r.reasons.case_number_only), vec![8]);
    let rule = |id: &str| {
        r.reasons
            .prohibited
            .iter()
            .find(|p| p.rule == id)
            .map(|p| lines(&p.finding))
    };
    assert_eq!(
        rule("screen.immigration"),
        Some(vec![5]),
        "HSI alone is not immigration"
    );
    assert_eq!(rule("screen.first-amendment"), Some(vec![9]));
    assert_eq!(lines(&r.federal), vec![5, 7]);
    let html = sightline_oversight::html::render(&r, "Test County SO");
    assert!(html.contains("487.0 days") && html.contains("screen.immigration"));
}

#[test]
fn test_network_audit_variations_and_bad_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (records, summary) = read_file(&write(dir.path(), "net.csv", NETWORK)).unwrap();
    assert_eq!(summary.format, "flock-network-audit");
    assert_eq!(summary.unknown_columns, vec!["Badge"]);
    // Row 4 has an unreadable time (kept, reported); row 5 is short (reported, not analysed).
    assert_eq!(summary.rows, 4);
    let problem_lines: Vec<u64> = summary.problems.iter().map(|p| p.0).collect();
    assert_eq!(problem_lines, vec![4, 5], "{:?}", summary.problems);
    assert_eq!(records.len(), 3, "{records:?} {summary:?}");
    let r = analyze(&records, vec![summary], 30.0);
    let imm = r
        .reasons
        .prohibited
        .iter()
        .find(|p| p.rule == "screen.immigration")
        .unwrap();
    assert_eq!(lines(&imm.finding), vec![2, 3]);
    assert_eq!(
        r.totals.agencies, 2,
        "the short Metro PD row is reported, not analysed"
    );
    assert_eq!(r.reach.max_devices, 80000);
}

/// The synthetic samples of the shared formats folder, committed as the fuzz corpus (issue 15:
/// this test used to skip silently when the folder beside the clone was absent).
#[test]
fn test_shared_samples() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/oversight_flock");
    let org = dir.join("flock-org-audit-sample.csv");
    let (rows, s1) = read_file(&org).unwrap();
    let (net, s2) = read_file(&dir.join("flock-network-audit-sample.csv")).unwrap();
    assert!(s1.problems.is_empty() && s2.problems.is_empty());
    let mut all = rows;
    all.extend(net);
    let r = analyze(&all, vec![s1, s2], 30.0);
    assert_eq!(r.totals.searches, 12);
    assert_eq!(r.lookback.beyond_retention.count, 1);
    let imm = r
        .reasons
        .prohibited
        .iter()
        .find(|p| p.rule == "screen.immigration")
        .unwrap();
    assert_eq!(
        imm.finding.count, 3,
        "ICE ERO assist, immigration, assisting HSI on immigration case"
    );
    assert_eq!(r.reasons.vague.count, 3, "inv, patrol, Inv");
}
