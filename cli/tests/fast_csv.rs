//! The fast csv path of `verimeter dispenser --format csv` (cli/src/fast_csv.rs) against the
//! general path (`--no-fast-path`, hidden): the same stdout bytes, stderr and exit status on
//! generated logs with bad and unusual rows. (The test binary is a debug build, where the
//! fast path also checks each row's result against `evaluate_draw`.)

mod common;

use std::process::{Command, Output, Stdio};

use common::run;

/// A deterministic generator for the mutations (xorshift64*).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

/// A generated log (`rows` rows, `seed`) with about one row in `every` broken in one of
/// many ways, blank lines, and (with `crlf`) CRLF line ends.
fn mutated_log(rows: u32, seed: u64, every: u64, crlf: bool) -> Vec<u8> {
    let o = run(&[
        "generate",
        "dispenser",
        "--rows",
        &rows.to_string(),
        "--seed",
        &seed.to_string(),
    ]);
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    let mut lines = text.lines();
    let mut out = lines.next().unwrap().as_bytes().to_vec();
    let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
    out.extend_from_slice(eol);
    let mut rng = Rng(seed | 1);
    for line in lines {
        let mut c: Vec<Vec<u8>> = line.split(',').map(|s| s.as_bytes().to_vec()).collect();
        if rng.below(every) == 0 {
            match rng.below(24) {
                0 => c[3] = b"abc".to_vec(),
                1 => c[3].clear(),
                2 => c[4] = b"-20".to_vec(),
                3 => c[5].clear(),
                4 => c[2] = b"kerosene2".to_vec(),
                5 => c[1] = b"bogus".to_vec(),
                6 => c[6] = b"95".to_vec(),
                7 => c[10].clear(),
                8 => c[8] = b"0".to_vec(),
                9 => c[0] = b"  ".to_vec(),
                10 => {
                    c.pop();
                }
                11 => c.push(b"x".to_vec()),
                12 => c[3] = [b" ", &c[3][..], b" "].concat(),
                13 => c[1] = b"MAX".to_vec(),
                14 => c[2] = b"0.0012".to_vec(),
                15 => c[3] = b"1e1".to_vec(),
                16 => c[4] = b"NaN".to_vec(),
                17 => c[9] = b"-1".to_vec(),
                18 => c[10] = b"1.2.3".to_vec(),
                19 => c[0].push(0xe9), // not UTF-8
                20 => c[0].extend_from_slice("é".as_bytes()),
                21 => c[5] = b"20.".to_vec(),
                22 => c[2].clear(),
                _ => c[7] = b"carbon_steel".to_vec(),
            }
        }
        if rng.below(100) == 0 {
            out.extend_from_slice(eol);
        }
        out.extend_from_slice(&c.join(&b","[..]));
        out.extend_from_slice(eol);
    }
    out
}

/// A file in the temporary directory (each test removes its own at the end).
fn write_temp(name: &str, bytes: &[u8]) -> String {
    let path =
        std::env::temp_dir().join(format!("verimeter-fast-csv-{}-{name}", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_string()
}

/// `verimeter dispenser --format csv FLAGS FILE`, with `--no-fast-path` when `general`.
fn judge(file: &str, flags: &[&str], general: bool) -> Output {
    let mut args = vec!["dispenser", "--format", "csv"];
    args.extend_from_slice(flags);
    if general {
        args.push("--no-fast-path");
    }
    args.push(file);
    run(&args)
}

fn assert_same(file: &str, flags: &[&str]) -> Output {
    let fast = judge(file, flags, false);
    let general = judge(file, flags, true);
    assert_eq!(fast.status.code(), general.status.code(), "{flags:?}");
    assert_eq!(
        String::from_utf8_lossy(&fast.stderr),
        String::from_utf8_lossy(&general.stderr),
        "{flags:?}"
    );
    assert!(
        fast.stdout == general.stdout,
        "stdout differs for {file} {flags:?}"
    );
    fast
}

#[test]
fn fast_path_writes_what_the_general_path_writes_with_bad_rows() {
    let log = write_temp("bad-rows.csv", &mutated_log(6000, 3, 12, false));
    let o = assert_same(&log, &[]);
    let out = String::from_utf8_lossy(&o.stdout);
    // Every input row gives one output row; ~1 in 12 rows is broken.
    assert_eq!(out.lines().count(), 6001);
    let errors = out.lines().filter(|l| l.contains(",line ")).count();
    assert!(errors > 100, "{errors} error rows");
    assert!(out.contains("indicated_l: not a number: \"\"abc\"\""));
    assert!(out.contains("field 1: not valid UTF-8"));
    assert!(out.contains("column count 12 differs from header's 11"));
    for profile in ["oiml-r117-1", "nist-hb44-3.30", "mid-mi005"] {
        assert_same(&log, &["--profile", profile]);
    }
    assert_same(&log, &["--stage", "first"]);
    let _ = std::fs::remove_file(&log);
}

#[test]
fn fast_path_matches_with_crlf_and_a_quoted_record_and_no_final_newline() {
    let mut bytes = mutated_log(3000, 5, 20, true);
    // A quoted cell (with a comma) two thirds in: the rest goes to the general reader.
    let at = bytes.len() * 2 / 3;
    let line_start = at + bytes[at..].iter().position(|b| *b == b'\n').unwrap() + 1;
    let quoted = b"\"S9,quoted\",";
    bytes.splice(line_start..line_start, quoted.iter().copied());
    // Drop the original nozzle cell so that the column count stays right.
    let q = line_start + quoted.len();
    let r = q + bytes[q..].iter().position(|b| *b == b',').unwrap();
    bytes.drain(q..=r);
    bytes.truncate(bytes.len() - 2);
    let log = write_temp("crlf-quoted.csv", &bytes);
    let o = assert_same(&log, &[]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("\"S9,quoted\""));
    let _ = std::fs::remove_file(&log);
}

#[test]
fn fast_path_reads_standard_input_as_the_general_path_reads_the_file() {
    let bytes = mutated_log(2000, 9, 15, false);
    let log = write_temp("stdin.csv", &bytes);
    let general = judge(&log, &[], true);
    let mut child = Command::new(env!("CARGO_BIN_EXE_verimeter"))
        .args(["dispenser", "--format", "csv", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        // Small writes: the fast path sees records cut at arbitrary places.
        for chunk in bytes.chunks(777) {
            stdin.write_all(chunk).unwrap();
        }
    });
    let o = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert_eq!(o.status.code(), general.status.code());
    assert!(o.stdout == general.stdout);
    let _ = std::fs::remove_file(&log);
}

/// Line ends the fast reader finds itself (it reads a plain record up to its `\n`, `\r\n`
/// or the end of the input): a CR before the end of the input, CR CR LF, a stray CR in a
/// cell, blank lines with CRs, empty last cells before CRLF, a last cell cut short.
#[test]
fn fast_path_matches_on_line_end_edge_cases() {
    let log = mutated_log(60, 13, 1_000_000, false);
    let text = String::from_utf8(log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let (head, rows) = (lines[0], &lines[1..]);
    let join = |rows: &[String], eol: &str, last: &str| {
        let mut s = format!("{head}{eol}");
        for r in rows {
            s.push_str(r);
            s.push_str(eol);
        }
        s.push_str(last);
        s.into_bytes()
    };
    let plain: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    let (body, last) = plain.split_at(plain.len() - 1);
    cases.push(("cr-at-end", join(body, "\n", &format!("{}\r", last[0]))));
    cases.push((
        "crlf-cr-at-end",
        join(body, "\r\n", &format!("{}\r", last[0])),
    ));
    cases.push(("no-newline", join(body, "\r\n", &last[0])));
    cases.push(("blank-crlf-at-end", join(&plain, "\r\n", "\r\n\r\n")));
    let mut odd = plain.clone();
    odd[5].push('\r'); // CR CR LF
    odd[9] = odd[9].replacen(',', ",\r", 1); // a stray CR at a cell's start
    odd[12] = odd[12].replacen(".", ".\r", 1); // inside a number
    let cut = odd[15].rfind(',').unwrap();
    odd[15].truncate(cut + 1); // an empty last cell
    odd[18].push(','); // one cell too many, empty
    odd[21] = format!(" {}", odd[21]); // whitespace before the first cell
    odd[24] = odd[24].replace(",max,", ",max ,");
    cases.push(("odd-lf", join(&odd, "\n", "")));
    cases.push(("odd-crlf", join(&odd, "\r\n", "\r\n")));
    let mut empty_last = plain.clone();
    for r in empty_last.iter_mut().step_by(3) {
        let cut = r.rfind(',').unwrap();
        r.truncate(cut + 1);
    }
    cases.push(("empty-last-cells-crlf", join(&empty_last, "\r\n", "")));
    for (name, bytes) in cases {
        let file = write_temp(name, &bytes);
        assert_same(&file, &[]);
        let _ = std::fs::remove_file(&file);
    }
}

/// The group of a row is taken from the row before when its texts are the same (fast
/// path), and nozzles are numbered without a hash while the log is sorted: rows whose
/// group texts run into each other (`petro` + `lstainless` vs `petrol` + `stainless`),
/// nozzle ids that are prefixes of each other, nozzles interleaved and out of order.
#[test]
fn fast_path_matches_when_groups_and_nozzles_interleave() {
    let log = mutated_log(720, 21, 1_000_000, false);
    let text = String::from_utf8(log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let (head, rows) = (lines[0], &lines[1..]);
    let mut cases: Vec<(&str, Vec<String>)> = Vec::new();
    let mut texts: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
    for (i, r) in texts.iter_mut().enumerate() {
        match i % 7 {
            1 => *r = r.replacen(",petrol,", ",petro,", 1),
            2 => *r = r.replacen(",stainless,", ",lstainless,", 1),
            3 => *r = r.replacen(",max,", ",min,", 1),
            4 => *r = r.replacen("-N0", "-N", 1),
            5 => *r = r.replacen("-N1", "-N10", 1),
            _ => {}
        }
    }
    cases.push(("group-texts", texts));
    // Nozzles out of order: the log in reverse, and rows interleaved from two halves.
    cases.push((
        "reversed",
        rows.iter().rev().map(|r| r.to_string()).collect(),
    ));
    let (a, b) = rows.split_at(rows.len() / 2);
    let mixed = a
        .iter()
        .zip(b)
        .flat_map(|(x, y)| [x.to_string(), y.to_string()]);
    cases.push(("interleaved", mixed.collect()));
    // Sorted for a while, then an earlier nozzle again and a new one before the last.
    let mut late: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
    late.insert(400, rows[3].to_string());
    late.insert(500, rows[100].replacen("S000", "R000", 1));
    cases.push(("late", late));
    for (name, body) in cases {
        let mut s = format!("{head}\n");
        for r in &body {
            s.push_str(r);
            s.push('\n');
        }
        let file = write_temp(name, s.as_bytes());
        assert_same(&file, &[]);
        assert_same(&file, &["--profile", "oiml-r117-1"]);
        let _ = std::fs::remove_file(&file);
    }
}
