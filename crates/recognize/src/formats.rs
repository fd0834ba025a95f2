//! Per-country plate formats. The recogniser gives a probability for every character at every
//! position; a format says which positions hold letters and which digits, so the best reading under
//! each format fixes the usual confusions (0/O, 1/I, 8/B, 5/S, 2/Z) with evidence, and a reading
//! that fits no format is not a plate (a badge, a sign, a dealer sticker). Where two layouts of
//! one country share a shape but differ in design (Brazil's grey plates and its Mercosur plates
//! with their blue band), what the colour image shows of the plate ([`PlateCues`]) weighs in.

use crate::ALPHABET;
use crate::colour::PlateCues;

/// What one position may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Letter,
    Digit,
    Any,
    /// German suffixes: E (electric) or H (historic).
    Suffix,
}

impl Class {
    fn allows(self, c: u8) -> bool {
        match self {
            Class::Letter => c.is_ascii_uppercase(),
            Class::Digit => c.is_ascii_digit(),
            Class::Any => c.is_ascii_alphanumeric(),
            Class::Suffix => c == b'E' || c == b'H',
        }
    }
}

/// What a layout's plates carry across the top.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TopBand {
    /// The layout says nothing about it.
    Any,
    /// Always a blue band (Mercosur).
    Blue,
    /// Never a blue band (Brazil's grey plates).
    NotBlue,
}

/// A named layout of one country or state.
#[derive(Debug, Clone)]
pub struct Format {
    /// Short name, e.g. `BR-mercosur`.
    pub name: &'static str,
    /// ISO 3166 country, or `US-XX` state code when the layout is particular to a state.
    pub region: &'static str,
    classes: Vec<Class>,
    band: TopBand,
}

impl Format {
    /// Whether the plate's look contradicts this layout's design.
    fn contradicted_by(&self, cues: &PlateCues) -> bool {
        matches!(
            (self.band, cues.blue_top_band),
            (TopBand::Blue, Some(false)) | (TopBand::NotBlue, Some(true))
        )
    }
}

fn parse(pattern: &str) -> Vec<Class> {
    pattern
        .bytes()
        .map(|b| match b {
            b'L' => Class::Letter,
            b'D' => Class::Digit,
            b'S' => Class::Suffix,
            _ => Class::Any,
        })
        .collect()
}

/// Every format we know. Patterns: L letter, D digit, S German E/H suffix (A, either, is
/// available but unused: a layout that takes anything cannot reject anything).
pub fn all() -> Vec<Format> {
    let mut out = Vec::new();
    let mut add_with = |name: &'static str, region: &'static str, pattern: &str, band| {
        out.push(Format {
            name,
            region,
            classes: parse(pattern),
            band,
        })
    };
    add_with("BR-grey", "BR", "LLLDDDD", TopBand::NotBlue);
    add_with("BR-mercosur", "BR", "LLLDLDD", TopBand::Blue);
    let mut add = |name, region, pattern: &str| add_with(name, region, pattern, TopBand::Any);
    add("US-CA", "US-CA", "DLLLDDD");
    add("US-LLLDDDD", "US", "LLLDDDD");
    add("US-IL", "US-IL", "LLDDDDD");
    add("US-FL", "US-FL", "LLLLDD");
    add("US-FL", "US-FL", "LLLDLL");
    add("US-LLLDDD", "US", "LLLDDD");
    add("US-DDDLLL", "US", "DDDLLL");
    add("US-LLLLDDD", "US", "LLLLDDD");
    add("US-DDDDLL", "US", "DDDDLL");
    add("US-DDDLL", "US", "DDDLL");
    add("US-DLLDDD", "US", "DLLDDD");
    add("US-DDDDDD", "US", "DDDDDD");
    add("RO", "RO", "LDDLLL");
    add("RO", "RO", "LDDDLLL");
    add("RO", "RO", "LLDDLLL");
    add("US-MA", "US-MA", "DLLLDD");
    add("US-NJ", "US-NJ", "LDDLLL");
    add("US-MD", "US-MD", "DLLDDDD");
    // Other European countries' current national layouts (their older series and special plates
    // are not covered).
    add("FR", "FR", "LLDDDLL");
    add("IT", "IT", "LLDDDLL");
    add("ES", "ES", "DDDDLLL");
    add("GB", "GB", "LLDDLLL");
    add("CZ", "CZ", "DLDDDDD");
    add("CZ", "CZ", "DLLDDDD");
    add("SK", "SK", "LLDDDLL");
    add("BE", "BE", "DLLLDDD");
    for p in ["LLDDLL", "DDLLDD", "DDDDLL", "LLDDDD"] {
        add("PT", "PT", p);
    }
    add("SE", "SE", "LLLDDD");
    add("SE", "SE", "LLLDDL");
    add("NO", "NO", "LLDDDDD");
    add("DK", "DK", "LLDDDDD");
    add("FI", "FI", "LLLDDD");
    add("HU", "HU", "LLLDDD");
    add("HU", "HU", "LLLLDDD");
    for p in ["LLDDDL", "LLDDDLL", "LLDDDDL", "LLDDDDLL"] {
        add("HR", "HR", p);
    }
    add("GR", "GR", "LLLDDDD");
    add("BG", "BG", "LLDDDDLL");
    add("BG", "BG", "LDDDDLL");
    add("RS", "RS", "LLDDDLL");
    add("RS", "RS", "LLDDDDLL");
    add("LT", "LT", "LLLDDD");
    add("LV", "LV", "LLDDDD");
    add("EE", "EE", "DDDLLL");
    add("NL", "NL", "DDLLLD");
    add("NL", "NL", "DLLLDD");
    add("NL", "NL", "LLDDDL");
    add("PL", "PL", "LLDDDDD");
    add("PL", "PL", "LLDDDDL");
    add("PL", "PL", "LLDDDLL");
    add("PL", "PL", "LLLDDLL");
    add("PL", "PL", "LLLDLLL");
    // Germany: district (1-3 letters), 1-2 letters, 1-4 digits, at most 8 characters, E/H optional.
    for letters in 2..=5usize {
        for digits in 1..=4usize {
            if letters + digits > 8 {
                continue;
            }
            let base = format!("{}{}", "L".repeat(letters), "D".repeat(digits));
            add("DE", "DE", &base);
            if letters + digits < 8 {
                add("DE", "DE", &format!("{base}S"));
            }
        }
    }
    out
}

/// One character position as read: a probability for each of [`ALPHABET`].
pub type CharProbs = [f32; 36];

/// The best reading under one format.
#[derive(Debug, Clone)]
pub struct Constrained {
    pub text: String,
    /// Product of the chosen characters' probabilities.
    pub score: f32,
    /// Probability of each chosen character.
    pub char_conf: Vec<f32>,
    pub format: &'static str,
    pub region: &'static str,
    /// The plate's look contradicts this layout's design.
    pub contradicted: bool,
}

/// Below this, a character is not one the model saw at that position.
const MIN_CHAR_PROB: f32 = 0.02;

/// Look-alikes to fall back on when the model put almost no mass on any character of the class.
fn look_alike(c: u8, class: Class) -> Option<u8> {
    match class {
        Class::Digit => Some(match c {
            b'O' | b'Q' | b'D' | b'U' => b'0',
            b'I' | b'L' | b'J' => b'1',
            b'Z' => b'2',
            b'A' => b'4',
            b'S' => b'5',
            b'G' => b'6',
            b'T' => b'7',
            b'B' => b'8',
            _ => return None,
        }),
        Class::Letter | Class::Suffix => Some(match c {
            b'0' => b'O',
            b'1' => b'I',
            b'2' => b'Z',
            b'4' => b'A',
            b'5' => b'S',
            b'6' => b'G',
            b'7' => b'T',
            b'8' => b'B',
            _ => return None,
        })
        .filter(|&m| class.allows(m)),
        Class::Any => None,
    }
}

/// The best reading of `chars` under `f`, or `None` when the lengths differ.
pub fn constrain(chars: &[CharProbs], f: &Format) -> Option<Constrained> {
    if chars.len() != f.classes.len() {
        return None;
    }
    let mut text = String::with_capacity(chars.len());
    let mut score = 1.0f32;
    let mut char_conf = Vec::with_capacity(chars.len());
    for (probs, &class) in chars.iter().zip(&f.classes) {
        let (best_i, best_p) = probs
            .iter()
            .enumerate()
            .filter(|(i, _)| class.allows(ALPHABET[*i]))
            .max_by(|a, b| a.1.total_cmp(b.1))?;
        let (top_i, top_p) = probs
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .expect("36 entries");
        let (ch, p) = match look_alike(ALPHABET[top_i], class) {
            // A known look-alike the model is sure of beats a class member it barely considered.
            Some(m) if *best_p < MIN_CHAR_PROB && *top_p > 0.5 => (m, top_p * 0.5),
            // The format would force a character the model did not see: not this format.
            _ if *best_p < MIN_CHAR_PROB => return None,
            _ => (ALPHABET[best_i], *best_p),
        };
        text.push(ch as char);
        score *= p;
        char_conf.push(p);
    }
    Some(Constrained {
        text,
        score,
        char_conf,
        format: f.name,
        region: f.region,
        contradicted: false,
    })
}

/// The best reading of `chars` under each of `formats` that can hold it, best first: readings under
/// layouts whose design `cues` contradict come last (the look is strong evidence, yet a reading
/// only such a layout explains still stands), the others by score.
pub fn readings(chars: &[CharProbs], formats: &[Format], cues: &PlateCues) -> Vec<Constrained> {
    let mut readings: Vec<Constrained> = formats
        .iter()
        .filter_map(|f| {
            let mut c = constrain(chars, f)?;
            c.contradicted = f.contradicted_by(cues);
            Some(c)
        })
        .collect();
    readings.sort_by(|a, b| {
        a.contradicted
            .cmp(&b.contradicted)
            .then(b.score.total_cmp(&a.score))
    });
    readings
}

/// Every region whose readings give `text`, in order.
pub fn regions_of<'a>(
    readings: impl IntoIterator<Item = &'a Constrained>,
    text: &str,
) -> Vec<&'static str> {
    let mut regions: Vec<&'static str> = Vec::new();
    for r in readings.into_iter().filter(|r| r.text == text) {
        if !regions.contains(&r.region) {
            regions.push(r.region);
        }
    }
    regions
}

/// The European countries we know layouts of, all selected by the region name `EUROPE`.
const EUROPE: [&str; 24] = [
    "DE", "FR", "IT", "NL", "PL", "RO", "ES", "GB", "CZ", "SK", "BE", "PT", "SE", "NO", "DK", "FI",
    "HU", "HR", "GR", "BG", "RS", "LT", "LV", "EE",
];

/// Formats for the given regions (`BR`, `DE`, `US`, `US-CA`, `EUROPE`, …); all when `regions` is
/// empty.
/// Unknown region names are an error, so a typo cannot silently disable checking.
pub fn for_regions(regions: &[String]) -> Result<Vec<Format>, String> {
    let all = all();
    if regions.is_empty() {
        return Ok(all);
    }
    let mut out = Vec::new();
    for r in regions {
        let r = r.to_ascii_uppercase();
        let matching: Vec<Format> = all
            .iter()
            .filter(|f| {
                f.region == r
                    || f.region.split('-').next() == Some(r.as_str())
                    || (r == "EUROPE" && EUROPE.contains(&f.region))
            })
            .cloned()
            .collect();
        if matching.is_empty() {
            let mut known: Vec<&str> = all.iter().map(|f| f.region).collect();
            known.sort();
            known.dedup();
            return Err(format!(
                "unknown plate region '{r}'; known: {}, and EUROPE for all the European ones",
                known.join(", ")
            ));
        }
        out.extend(matching);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plate whose look tells nothing (a monochrome frame).
    const NONE: PlateCues = PlateCues {
        blue_top_band: None,
    };

    /// One crop's reading as the recogniser would pick it with a single crop: the first of
    /// [`readings`], and every region whose formats read the same text.
    fn best(
        chars: &[CharProbs],
        formats: &[Format],
        cues: &PlateCues,
    ) -> Option<(Constrained, Vec<&'static str>)> {
        let readings = readings(chars, formats, cues);
        let top = readings.first()?.clone();
        let regions = regions_of(&readings, &top.text);
        Some((top, regions))
    }

    fn probs(text: &str, p: f32) -> Vec<CharProbs> {
        text.bytes()
            .map(|c| {
                let mut a = [(1.0 - p) / 35.0; 36];
                a[ALPHABET.iter().position(|&x| x == c).unwrap()] = p;
                a
            })
            .collect()
    }

    #[test]
    fn format_fixes_confusions_with_evidence() {
        // O read where both Brazilian layouts want a digit; the model also gave 0 some mass.
        let mut chars = probs("AYO903O", 0.9);
        chars[6][0] = 0.08;
        let (r, regions) = best(&chars, &for_regions(&["BR".into()]).unwrap(), &NONE).unwrap();
        assert_eq!(r.text, "AYO9030");
        assert_eq!(regions, ["BR"]);
        // At the fifth place O and 0 are both plausible (Mercosur has a letter there): the
        // probabilities decide.
        let mut chars = probs("AYO9O34", 0.6);
        chars[4][0] = 0.3;
        assert_eq!(best(&chars, &all(), &NONE).unwrap().0.text, "AYO9O34");
    }

    #[test]
    fn look_alikes_apply_when_the_model_is_sure() {
        let chars = probs("FBZ958I", 0.99);
        let (r, _) = best(&chars, &for_regions(&["BR".into()]).unwrap(), &NONE).unwrap();
        assert_eq!(r.text, "FBZ9581");
    }

    #[test]
    fn mercosur_and_german_layouts() {
        let (r, _) = best(&probs("RIO2A18", 0.9), &all(), &NONE).unwrap();
        assert_eq!((r.text.as_str(), r.format), ("RIO2A18", "BR-mercosur"));
        let (r, regions) = best(
            &probs("MAB1234", 0.9),
            &for_regions(&["DE".into()]).unwrap(),
            &NONE,
        )
        .unwrap();
        assert_eq!(
            (r.text.as_str(), regions.as_slice()),
            ("MAB1234", &["DE"][..])
        );
        assert!(
            best(
                &probs("MAB1234E", 0.9),
                &for_regions(&["DE".into()]).unwrap(),
                &NONE
            )
            .is_some()
        );
    }

    #[test]
    fn non_plates_fit_no_format() {
        // "POLICE" (a badge) and a long sign fit nothing.
        assert!(
            best(
                &probs("POLICE", 0.95),
                &for_regions(&["BR".into(), "DE".into()]).unwrap(),
                &NONE
            )
            .is_none()
        );
        assert!(best(&probs("ABCDEFGHIJ", 0.95), &all(), &NONE).is_none());
    }

    #[test]
    fn the_plate_design_settles_the_brazilian_fifth_place() {
        // 8 or B at the fifth place: B fits Mercosur, 8 the grey layout; the model leans to B.
        let mut chars = probs("NYI3B34", 0.85);
        chars[4][8] = 0.1;
        let br = for_regions(&["BR".into()]).unwrap();
        let grey = PlateCues {
            blue_top_band: Some(false),
        };
        let mercosur = PlateCues {
            blue_top_band: Some(true),
        };
        assert_eq!(best(&chars, &br, &NONE).unwrap().0.text, "NYI3B34");
        let (r, _) = best(&chars, &br, &grey).unwrap();
        assert_eq!((r.text.as_str(), r.format), ("NYI3834", "BR-grey"));
        let (r, _) = best(&chars, &br, &mercosur).unwrap();
        assert_eq!((r.text.as_str(), r.format), ("NYI3B34", "BR-mercosur"));
        // A reading only Mercosur explains (K has no digit look-alike) still stands on a plate
        // that looks grey.
        let (r, _) = best(&probs("RIO2K18", 0.9), &br, &grey).unwrap();
        assert_eq!(r.text, "RIO2K18");
    }

    #[test]
    fn unknown_regions_are_refused() {
        let e = for_regions(&["XX".into()]).unwrap_err();
        assert!(e.contains("unknown plate region 'XX'"), "{e}");
    }

    #[test]
    fn europe_selects_every_european_layout_and_no_other() {
        let europe = for_regions(&["europe".into()]).unwrap();
        let mut regions: Vec<&str> = europe.iter().map(|f| f.region).collect();
        regions.sort();
        regions.dedup();
        let mut want = EUROPE.to_vec();
        want.sort();
        assert_eq!(regions, want);
        // Every listed country has a layout, and only the Americas are left out.
        for f in all() {
            assert_eq!(
                EUROPE.contains(&f.region),
                !(f.region == "BR" || f.region.starts_with("US")),
                "{}",
                f.region
            );
        }
        // A Spanish plate reads as Spanish; with Brazil's layouts only, it is no plate.
        let chars = probs("1234BCD", 0.9);
        let es = readings(&chars, &europe, &NONE);
        assert_eq!(es[0].text, "1234BCD");
        assert_eq!(regions_of(&es, "1234BCD"), vec!["ES"]);
        assert!(readings(&chars, &for_regions(&["BR".into()]).unwrap(), &NONE).is_empty());
    }

    #[test]
    fn ambiguous_layouts_name_every_region() {
        let (_, regions) = best(&probs("ABC1234", 0.95), &all(), &NONE).unwrap();
        assert!(
            regions.contains(&"BR") && regions.contains(&"US"),
            "{regions:?}"
        );
    }
}
