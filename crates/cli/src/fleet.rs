//! Synthetic vehicles: plausible plates per jurisdiction, colours, types and makes. Shared by the
//! demo's traffic simulator and the benchmarks.

use rand::Rng;
use rand::seq::SliceRandom;

/// One simulated vehicle.
#[derive(Debug, Clone)]
pub struct Vehicle {
    /// Plate text as printed (with separators).
    pub plate: String,
    /// Issuing region.
    pub region: String,
    /// Colour.
    pub colour: &'static str,
    /// Body type.
    pub vehicle_type: &'static str,
    /// Make.
    pub make: &'static str,
}

const COLOURS: &[&str] = &[
    "white", "black", "grey", "silver", "blue", "red", "green", "brown", "beige", "yellow",
];
const TYPES: &[&str] = &[
    "sedan",
    "suv",
    "pickup",
    "hatchback",
    "van",
    "wagon",
    "coupe",
    "truck",
    "motorcycle",
];
const US_MAKES: &[&str] = &[
    "ford",
    "chevrolet",
    "toyota",
    "honda",
    "nissan",
    "jeep",
    "ram",
    "hyundai",
    "kia",
    "subaru",
    "tesla",
    "gmc",
];
const DE_MAKES: &[&str] = &[
    "volkswagen",
    "bmw",
    "mercedes-benz",
    "audi",
    "opel",
    "skoda",
    "ford",
    "seat",
    "renault",
    "toyota",
];
const LETTERS: &[u8] = b"ABCDEFGHJKLMNPRSTUVWXYZ";
const DE_DISTRICTS: &[&str] = &[
    "M", "M", "M", "FS", "ED", "DAH", "STA", "RO", "A", "IN", "LA",
];

fn letters(rng: &mut impl Rng, n: usize) -> String {
    (0..n)
        .map(|_| LETTERS[rng.gen_range(0..LETTERS.len())] as char)
        .collect()
}

fn digits(rng: &mut impl Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
        .collect()
}

/// Returns a plate in the format of a jurisdiction (`US-IL`, `US-TX`, `US-CA`, `DE-BY`; others get
/// a generic US format).
pub fn plate_for(region: &str, rng: &mut impl Rng) -> String {
    match region {
        "US-IL" => format!("{} {}", letters(rng, 2), digits(rng, 5)),
        "US-TX" => format!("{}-{}", letters(rng, 3), digits(rng, 4)),
        "US-CA" => format!(
            "{}{}{}",
            rng.gen_range(5..10),
            letters(rng, 3),
            digits(rng, 3)
        ),
        r if r.starts_with("DE") => {
            let d = DE_DISTRICTS.choose(rng).copied().unwrap_or("M");
            let n = rng.gen_range(1..=2);
            format!("{d}-{} {}", letters(rng, n), rng.gen_range(1..10000))
        }
        _ => format!("{}{}", letters(rng, 3), digits(rng, 4)),
    }
}

/// Creates a random vehicle registered in `region`.
pub fn vehicle(region: &str, rng: &mut impl Rng) -> Vehicle {
    let makes = if region.starts_with("DE") {
        DE_MAKES
    } else {
        US_MAKES
    };
    Vehicle {
        plate: plate_for(region, rng),
        region: region.to_owned(),
        colour: COLOURS.choose(rng).copied().unwrap_or("white"),
        vehicle_type: TYPES.choose(rng).copied().unwrap_or("sedan"),
        make: makes.choose(rng).copied().unwrap_or("ford"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use sightline_types::PlateText;

    #[test]
    fn test_generated_plates_normalise() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        for region in ["US-IL", "US-TX", "US-CA", "DE-BY", "US-NH"] {
            for _ in 0..200 {
                let v = vehicle(region, &mut rng);
                assert!(PlateText::normalise(&v.plate).is_ok(), "{}", v.plate);
            }
        }
    }
}
