//! Every clause number the crate cites must be one the reference notes cite
//! (`../shared/reference/*.md`): the project rule "never cite a regulation clause number that
//! is not in the reference". The notes name these clause numbers, and no others:
//!
//! - taximeters.md: JJG 517-2016 §5.1, §5.2, §6.7, §6.8, §7.1, §7.2, §7.4 (and Annexes B–G);
//!   NIST HB44 §5.54 T.1.1, T.1.2; MID Annex IX.
//! - fuel-dispensers.md: NIST HB44 §3.30 Table T.2; MID Annex VII Table 2, Table 3, 2.3,
//!   2.4.1, 2.4.2 (no clause number of JJG 443 at all).
//! - uncertainty-decisions.md: ISO/IEC 17025 §7.1.3; GUM (JCGM 100) Annex H.1, Table G.2.
//!
//! The test scans the library's sources (doc comments, messages, the built-in profiles) and
//! the built-in tariffs for `§…`, `Table …`, `Annex …` and HB44-style `T.…` / `N.…` / GUM
//! `G.…` references and checks each against that list.

use std::path::{Path, PathBuf};

/// The § numbers of the notes, each with a text its line must also name (the document).
const SECTIONS: &[(&str, &str)] = &[
    ("3.30", "44"),
    ("5.54", "44"),
    ("5.1", "JJG 517"),
    ("5.2", "JJG 517"),
    ("6.7", "JJG 517"),
    ("6.8", "JJG 517"),
    ("7.1", "JJG 517"),
    ("7.2", "JJG 517"),
    ("7.4", "JJG 517"),
    ("7.1.3", "17025"),
];
const LETTERED: &[&str] = &["T.1.1", "T.1.2", "T.2", "G.2"];
const TABLES: &[&str] = &["2", "3", "T.2", "G.2"];
const ANNEXES: &[&str] = &["VII", "IX", "H", "H.1", "B", "C", "D", "G"];

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else if matches!(p.extension().and_then(|x| x.to_str()), Some("rs" | "json")) {
            out.push(p);
        }
    }
}

/// The clause token starting at byte `i` of `s`: letters, digits and dots, without a
/// trailing dot.
fn token(s: &str, i: usize) -> &str {
    let rest = &s[i..];
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
        .unwrap_or(rest.len());
    rest[..end].trim_end_matches('.')
}

/// Every cited clause of `text` that the reference notes do not cite.
fn unknown_citations(text: &str) -> Vec<String> {
    let mut bad = Vec::new();
    for (i, _) in text.match_indices('§') {
        let t = token(text, i + '§'.len_utf8());
        let known = SECTIONS
            .iter()
            .any(|(n, doc)| *n == t && text.contains(doc));
        if !t.is_empty() && !known {
            bad.push(format!("§{t}"));
        }
    }
    for (word, allowed) in [("Table ", TABLES), ("Annex ", ANNEXES)] {
        for (i, _) in text.match_indices(word) {
            let t = token(text, i + word.len());
            if t.starts_with(|c: char| c.is_ascii_digit() || c.is_ascii_uppercase())
                && !allowed.contains(&t)
            {
                bad.push(format!("{word}{t}"));
            }
        }
    }
    let b = text.as_bytes();
    for i in 1..b.len().saturating_sub(2) {
        let lettered = matches!(b[i], b'T' | b'N' | b'G')
            && b[i + 1] == b'.'
            && b[i + 2].is_ascii_digit()
            && !b[i - 1].is_ascii_alphanumeric()
            && b[i - 1] != b'.';
        if lettered {
            let t = token(text, i);
            if !LETTERED.contains(&t) {
                bad.push(t.to_string());
            }
        }
    }
    bad
}

#[test]
fn the_scanner_finds_clause_numbers() {
    assert_eq!(
        unknown_citations("JJG 443-2015 §5: ±0.30 %; HB44 §3.30 T.5 and N.4.1; MI-005 Table 1"),
        vec!["§5", "Table 1", "T.5", "N.4.1"]
    );
    // A § number of the notes cited for another document.
    assert_eq!(unknown_citations("JCGM 106 §7.2"), vec!["§7.2"]);
    assert!(unknown_citations(
        "JJG 517-2016 §5.2; NIST HB44 §5.54 T.1.1; Table T.2; Table 3; GUM Table G.2; Annex VII."
    )
    .is_empty());
}

#[test]
fn every_cited_clause_is_in_the_reference_notes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    files(&root.join("src"), &mut paths);
    files(&root.join("fixtures/tariffs"), &mut paths);
    paths.sort();
    let mut bad = Vec::new();
    for p in &paths {
        let text = std::fs::read_to_string(p).unwrap();
        for (n, line) in text.lines().enumerate() {
            for c in unknown_citations(line) {
                bad.push(format!(
                    "{}:{}: {c}",
                    p.strip_prefix(root).unwrap().display(),
                    n + 1
                ));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "clause numbers not in the reference notes:\n{}",
        bad.join("\n")
    );
}
