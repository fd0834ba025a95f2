//! Normalisation before matching: text becomes words, and each word a *look-alike key*.
//!
//! Evasion works on the letters, so matching works on keys that survive the usual tricks: the
//! Unicode confusable skeleton of UTS #39 (via `unicode-security`: Cyrillic "ІСЕ", fullwidth
//! "ＩＣＥ", Greek capitals), digits and symbols standing for letters ("1CE", "deport@tion"),
//! invisible characters ("I\u{200B}CE"), spelled-out letters ("I.C.E.") and repeated letters
//! ("IICCEE"). Entries of the rule file are reduced with the same function, so a key comparison
//! is all the matcher needs.
//!
//! Design choice: digits are read as letters only inside words that also have letters, so
//! "287", "1325" and case numbers stay as they are and cannot turn into words.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;
use unicode_security::skeleton;

/// One word of the screened text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    /// Lower case, accents removed, symbols inside words read as letters.
    pub plain: String,
    /// Look-alike keys (one, or two where a "1" may be an "i" or an "l").
    pub keys: Vec<String>,
}

impl Token {
    /// True if one of this word's keys is `key`.
    pub fn has_key(&self, key: &str) -> bool {
        self.keys.iter().any(|k| k == key)
    }
}

/// Characters that render as nothing; removed so they cannot split a word.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}')
}

/// Symbols that stand for a letter when written inside a word.
fn symbol_letter(c: char) -> Option<char> {
    Some(match c {
        '@' => 'a',
        '$' => 's',
        '€' => 'e',
        '!' => 'i',
        _ => return None,
    })
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '*' || c == '?'
}

/// Removes invisible characters and accents, and reads in-word symbols as letters. Case is kept
/// (a lower-case "l" among capitals is read as "I" later).
fn clean(text: &str) -> String {
    let decomposed: Vec<char> = text
        .nfd()
        .filter(|c| !is_invisible(*c) && !is_combining_mark(*c))
        .collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in decomposed.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|j| decomposed.get(j));
        let next = decomposed.get(i + 1);
        let alnum = |x: Option<&char>| x.is_some_and(|c| c.is_alphanumeric());
        match symbol_letter(c) {
            // "deport@tion", "d!sabled": between letters or digits.
            Some(l) if alnum(prev) && alnum(next) => out.push(l),
            // "@lien", "$ICE": at a word's start, but not "!" (a sentence's end).
            Some(l) if c != '!' && !alnum(prev) && alnum(next) => out.push(l),
            _ => match c {
                'ß' => out.push_str("ss"),
                // Masking letters ("g*psy") only inside a word; "aves?" is "aves".
                '*' | '?' if !(alnum(prev) && alnum(next)) => out.push(' '),
                _ => out.push(c),
            },
        }
    }
    out
}

/// Collapses runs of the same character ("immmigration" -> "imigration").
pub(crate) fn collapse(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last = None;
    for c in s.chars() {
        if Some(c) != last {
            out.push(c);
        }
        last = Some(c);
    }
    out
}

/// Letters that the skeleton leaves alone but that read as Latin letters.
fn letter_lookalike(c: char) -> char {
    match c {
        '0' => 'o',
        '3' => 'e',
        '4' => 'a',
        '5' => 's',
        '7' => 't',
        '8' => 'b',
        '9' | '6' => 'g',
        '2' => 'z',
        'ǝ' | 'ɘ' | 'ə' | 'ꞓ' | 'ɛ' | 'є' | 'ε' | '∃' => 'e',
        'ı' => 'i',
        'ʟ' => 'l',
        other => other,
    }
}

fn skeleton_key(word: &str) -> String {
    let mut out = String::with_capacity(word.len() + 2);
    if word.is_ascii() {
        // Fast path, same result: on lower-case ASCII the UTS #39 skeleton only changes
        // "m" -> "rn", "1" -> "l" and "0" -> "O" (checked by a test below).
        for c in word.chars() {
            match c {
                'm' => out.push_str("rn"),
                '1' => out.push('l'),
                c => out.push(letter_lookalike(c)),
            }
        }
        return collapse(&out);
    }
    for c in skeleton(word) {
        for l in c.to_lowercase() {
            if !is_combining_mark(l) {
                out.push(letter_lookalike(l));
            }
        }
    }
    collapse(&out)
}

/// Returns the look-alike keys of one word as written (case kept).
pub(crate) fn keys(word: &str) -> Vec<String> {
    let lower = word.to_lowercase();
    if !lower.chars().any(char::is_alphabetic) {
        return vec![lower];
    }
    // "lCE": a lower-case l in a word otherwise in capitals stands for a capital I.
    let capitals = word.chars().filter(|c| c.is_uppercase()).count();
    let l_for_i = capitals >= 2
        && word.contains('l')
        && word
            .chars()
            .all(|c| c == 'l' || !c.is_lowercase() || !c.is_alphabetic());
    let base = collapse(&lower);
    let mut variants = Vec::with_capacity(2);
    if base.contains('1') || l_for_i {
        let as_i: String = base
            .chars()
            .map(|c| match c {
                '1' => 'i',
                'l' if l_for_i => 'i',
                c => c,
            })
            .collect();
        variants.push(as_i);
        variants.push(base.replace('1', "l"));
    } else {
        variants.push(base.clone());
    }
    // "lmmigration": a leading l for an I, in words long enough not to be "lice".
    if let Some(rest) = base.strip_prefix('l')
        && base.chars().count() >= 5
    {
        variants.push(format!("i{rest}"));
    }
    let mut out: Vec<String> = Vec::with_capacity(variants.len());
    for v in variants {
        let k = skeleton_key(&v);
        if !out.contains(&k) {
            out.push(k);
        }
    }
    out
}

/// Splits cleaned text into raw words (case kept), joining runs of single characters that hold
/// at least two letters ("I.C.E.", "1.C.E", "I C 3").
fn raw_words(cleaned: &str) -> Vec<String> {
    let raw: Vec<&str> = cleaned
        .split(|c| !is_word_char(c))
        .filter(|w| !w.is_empty())
        .collect();
    let single = |w: &str| w.chars().count() == 1 && w.chars().all(char::is_alphanumeric);
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let mut j = i;
        while j < raw.len() && single(raw[j]) {
            j += 1;
        }
        let run = &raw[i..j];
        let letters = run
            .iter()
            .filter(|w| w.chars().all(char::is_alphabetic))
            .count();
        if run.len() >= 2 && letters >= 2 {
            out.push(run.concat());
            i = j;
        } else {
            out.push(raw[i].to_owned());
            i += 1;
        }
    }
    out
}

/// Turns text into words with their look-alike keys.
pub(crate) fn tokens(text: &str) -> Vec<Token> {
    raw_words(&clean(text))
        .into_iter()
        .map(|w| Token {
            plain: w.to_lowercase(),
            keys: keys(&w),
        })
        .collect()
}

/// The key of a rule entry word (entries are written in plain lower case).
pub(crate) fn entry_key(word: &str) -> String {
    keys(word).into_iter().next().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_keys(text: &str) -> Vec<String> {
        tokens(text)
            .into_iter()
            .map(|t| t.keys[0].clone())
            .collect()
    }

    #[test]
    fn test_lookalikes_share_the_key_of_the_plain_word() {
        let ice = entry_key("ice");
        for text in [
            "ICE",
            "1CE",
            "ICƎ",
            "ІСЕ",
            "ｉｃｅ",
            "I.C.3",
            "IICCEE",
            "lCE",
            "I\u{200B}CE",
            "I\u{AD}CE",
        ] {
            let t = tokens(text);
            assert_eq!(t.len(), 1, "{text}: {t:?}");
            assert!(t[0].has_key(&ice), "{text}: {t:?}");
        }
        let imm = entry_key("immigration");
        for text in ["1mm1grat10n", "immmigration", "ımmıgratıon", "lmmigration"] {
            assert!(tokens(text)[0].has_key(&imm), "{text}: {:?}", tokens(text));
        }
        assert!(tokens("deport@tion")[0].has_key(&entry_key("deportation")));
        assert!(tokens("@lien")[0].has_key(&entry_key("alien")));
    }

    #[test]
    fn test_ascii_fast_path_equals_the_skeleton() {
        // Words hold letters, digits, "*" and "?" only (everything else splits them).
        for b in 0x20u8..0x7f {
            let ch = (b as char).to_ascii_lowercase();
            if !(is_word_char(ch)) {
                continue;
            }
            let c = ch.to_string();
            let slow: String = skeleton(&c)
                .flat_map(char::to_lowercase)
                .map(letter_lookalike)
                .collect();
            assert_eq!(skeleton_key(&c), collapse(&slow), "{c:?}");
        }
    }

    #[test]
    fn test_numbers_and_ordinary_words_keep_their_identity() {
        assert_eq!(
            first_keys("287 1325 26-001234"),
            vec!["287", "1325", "26", "001234"]
        );
        assert_ne!(entry_key("legal"), entry_key("ilegal"));
        assert_ne!(entry_key("police"), entry_key("ice"));
        // A sentence's "!" is not an "i"; "ICE!" is still ICE.
        assert_eq!(first_keys("ICE!"), vec![entry_key("ice")]);
        // "I-247" keeps its digits as a word of their own.
        assert_eq!(first_keys("I-247"), vec!["i", "247"]);
    }
}
