//! `sightline recognize` and `sightline eval recognition` with the committed models, on plate
//! photos drawn at test time.

mod support;

use serde_json::Value;
use std::process::Command;
use support::plates;

fn sightline(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sightline"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run sightline");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn test_recognize_reads_synthetic_plates() {
    let tmp = tempfile::tempdir().unwrap();
    let font = plates::font();
    let mut expected = Vec::new();
    for i in 0..6u32 {
        let text = plates::plate_text(i);
        let path = tmp.path().join(format!("car{i}.jpg"));
        plates::write_jpeg(&plates::scene(&font, &text, i), &path);
        expected.push((path, text));
    }
    let dir = tmp.path().to_str().unwrap();
    let (code, out, err) = sightline(&["recognize", "--json", "--region", "BR", dir]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let results = v.as_array().unwrap();
    assert_eq!(results.len(), expected.len());
    for (r, (path, text)) in results.iter().zip(&expected) {
        assert_eq!(r["image"], path.display().to_string());
        let top = &r["plates"][0];
        assert_eq!(top["text"], text.as_str(), "{r}");
        assert_eq!(top["region"], "BR", "{r}");
        // Grey and blue-banded Mercosur plates are told apart by their look as well.
        let mercosur = text.as_bytes()[4].is_ascii_uppercase();
        let layout = if mercosur { "BR-mercosur" } else { "BR-grey" };
        assert_eq!(top["format"], layout, "{r}");
        assert_eq!(top["chars"].as_array().unwrap().len(), 7);
        assert!(top["confidence"].as_f64().unwrap() > 0.0);
        assert_eq!(top["corners"].as_array().unwrap().len(), 4);
        assert!(top["colour"]["name"].is_string(), "{r}");
    }
    // The first scene's body is silver, the second's red.
    assert_eq!(
        results[1]["plates"][0]["colour"]["name"], "red",
        "{}",
        results[1]
    );

    // Plain text output names the plate.
    let (code, out, _) = sightline(&["recognize", expected[0].0.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(out.contains(&expected[0].1), "{out}");

    // Bad input: a sentence and a non-zero exit, never a panic.
    let bogus = tmp.path().join("bogus.jpg");
    std::fs::write(&bogus, b"not an image").unwrap();
    let (code, _, err) = sightline(&["recognize", bogus.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(
        err.contains("cannot read image") && !err.contains("panicked"),
        "{err}"
    );
    let (code, _, err) = sightline(&["recognize", "/nonexistent/x.jpg"]);
    assert_ne!(code, 0);
    assert!(err.contains("does not exist"), "{err}");
    let (code, _, err) = sightline(&["recognize", "--region", "XX", dir]);
    assert_ne!(code, 0);
    assert!(err.contains("unknown plate region"), "{err}");
}

#[test]
fn test_eval_recognition_on_an_openalpr_layout_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let font = plates::font();
    for i in 0..4u32 {
        let text = plates::plate_text(i + 10);
        let img = plates::scene(&font, &text, i);
        let name = format!("{text}.jpg");
        plates::write_jpeg(&img, &tmp.path().join(&name));
        let [x, y, plate_w, plate_h] = plates::plate_box(i);
        std::fs::write(
            tmp.path().join(format!("{text}.txt")),
            format!("{name}\t{x}\t{y}\t{plate_w}\t{plate_h}\t{text}\n"),
        )
        .unwrap();
    }
    let dir = tmp.path().to_str().unwrap();
    let (code, out, err) = sightline(&["eval", "recognition", "--json", dir]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["images"], 4);
    assert_eq!(v["detection_recall"], 1.0, "{v}");
    assert_eq!(v["end_to_end_accuracy"], 1.0, "{v}");
    assert_eq!(v["recognizer_accuracy"], 1.0, "{v}");
    assert!(v["images_per_second"].as_f64().unwrap() > 0.0);
    assert!(v["failures"].as_array().unwrap().is_empty());
    let (code, out, _) = sightline(&["eval", "recognition", dir]);
    assert_eq!(code, 0);
    assert!(
        out.contains("detection recall") && out.contains("100.0%"),
        "{out}"
    );
    assert!(out.contains("Plate layouts: every known one"), "{out}");
    let (code, out, _) = sightline(&["eval", "recognition", "--region", "BR", "--json", dir]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["regions"], serde_json::json!(["BR"]), "{v}");
    assert_eq!(v["end_to_end_accuracy"], 1.0, "{v}");

    // A broken label file is named.
    std::fs::write(tmp.path().join("broken.txt"), "broken.jpg\t1\t2\n").unwrap();
    let (code, _, err) = sightline(&["eval", "recognition", dir]);
    assert_ne!(code, 0);
    assert!(err.contains("broken.txt"), "{err}");
}

/// A candidate that outlines a plate's recess (twice the plate's size, as the detector sometimes
/// gives on real cars) is read through tighter boxes: the reading is the plate's and its corners
/// shrink to the plate.
#[test]
fn test_a_candidate_outlining_the_recess_reads_through_a_tighter_box() {
    use sightline_recognize::{Detection, Options, Recognizer, geometry};
    let r = Recognizer::new(Options {
        regions: vec!["BR".into()],
        ..Options::default()
    })
    .unwrap();
    let font = plates::font();
    for i in 0..2u32 {
        let text = plates::plate_text(i + 20);
        let img = plates::scene(&font, &text, i);
        let plate = plates::plate_box(i).map(|v| v as f32);
        let (cx, cy) = (plate[0] + plate[2] / 2.0, plate[1] + plate[3] / 2.0);
        // The candidate outlines twice the plate's width and height.
        let (hw, hh) = (plate[2], plate[3]);
        let mut d = Detection {
            score: 0.9,
            corners: [
                [cx - hw, cy - hh],
                [cx + hw, cy - hh],
                [cx + hw, cy + hh],
                [cx - hw, cy + hh],
            ],
        };
        let outline = geometry::bounds(&d.corners);
        assert!(geometry::iou(outline, plate) < 0.3);
        let read = r.read_candidate(&img, &mut d).unwrap().expect("a reading");
        assert_eq!(read.text, text);
        let got = geometry::bounds(&d.corners);
        assert!(
            geometry::iou(got, plate) >= 0.5,
            "corners {:?} vs plate {plate:?}",
            d.corners
        );
    }
}
