//! The progress bar (issue #6): drawn on stderr only when stderr is a terminal, the run has
//! lasted a second and `--quiet` is not given; never on stdout; cleared before anything else
//! is written to stderr.
//!
//! Runs longer than a second are made without large files: the input comes on standard
//! input in two parts with a pause of [`PAUSE`] between them, so the time condition holds in
//! debug and release builds alike. The terminal tests run the binary under a pseudo-terminal
//! with util-linux `script` (skipped, with a message, where `script` is missing). Logs are
//! generated into a temporary directory and removed at the end.
#![cfg(target_os = "linux")]

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::{code, fixture, stderr, stdout, Dir};

/// Longer than the bar's one-second delay.
const PAUSE: Duration = Duration::from_millis(1300);

/// Bytes sent before the pause (the header and the first rows: the command has started).
/// The bar shows at its first update (every 256 KiB read) after the delay, so each input
/// below has more than 256 KiB after these bytes.
const HEAD: usize = 65_536;

/// Rows of the generated dispenser logs on standard input: about 470 KB, more than
/// [`HEAD`] + 256 KiB + a margin.
const ROWS: usize = 6_500;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_verimeter")
}

/// `verimeter generate KIND --rows N` into `path`.
fn generate(kind: &str, rows: usize, path: &str) {
    let o = Command::new(bin())
        .args(["generate", kind, "--rows", &rows.to_string(), "--out", path])
        .output()
        .expect("the binary runs");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

/// A taximeter log of about `bytes` bytes: the rows of a fixture, repeated with new vehicle
/// ids.
fn taximeter_log(bytes: usize) -> Vec<u8> {
    let text = std::fs::read_to_string(fixture("taximeter", "jjg517-installed.csv")).unwrap();
    let mut lines = text.lines();
    let mut out = format!("{}\n", lines.next().unwrap()).into_bytes();
    let rows: Vec<&str> = lines.filter(|l| !l.trim().is_empty()).collect();
    let mut copy = 0;
    while out.len() < bytes {
        for r in &rows {
            out.extend_from_slice(format!("C{copy}-{r}\n").as_bytes());
        }
        copy += 1;
    }
    out
}

/// Runs `verimeter ARGS` with `input` on standard input, sent in two parts with [`PAUSE`]
/// between them (the run lasts longer than the bar's delay); stdout and stderr are pipes.
fn run_paused(args: &[&str], input: Vec<u8>) -> Output {
    let mut child = common::spawn_piped(args);
    let mut stdin = child.stdin.take().expect("stdin");
    let feeder = std::thread::spawn(move || {
        let (head, rest) = input.split_at(HEAD.min(input.len()));
        // A command may stop reading early (an error): a closed pipe is fine.
        let _ = stdin.write_all(head).and_then(|()| stdin.flush());
        std::thread::sleep(PAUSE);
        let _ = stdin.write_all(rest);
    });
    let out = child.wait_with_output().expect("the binary ends");
    feeder.join().expect("feeder");
    out
}

/// No terminal escape codes and none of the bar's words.
fn assert_no_bar(what: &str, text: &[u8]) {
    let s = String::from_utf8_lossy(text);
    assert!(!s.contains('\x1b'), "{what}: escape code in {s:?}");
    assert!(!s.contains('\r'), "{what}: carriage return in {s:?}");
    assert!(
        !s.contains("MiB") && !s.contains("KiB"),
        "{what}: a byte count in {s:?}"
    );
}

#[test]
fn no_bar_when_stderr_is_not_a_terminal_even_for_a_long_run() {
    let dir = Dir::new("progress-pipe");
    let (draws, trips) = (dir.path("draws.csv"), dir.path("trips.csv"));
    generate("dispenser", ROWS, &draws);
    generate("trips", 10_000, &trips); // ~460 KB
    let draws = std::fs::read(&draws).unwrap();
    let trips = std::fs::read(&trips).unwrap();
    let taxi = taximeter_log(450_000);
    let out = dir.path("report");
    let cases: Vec<(Vec<&str>, &Vec<u8>)> = vec![
        (vec!["dispenser", "-"], &draws),
        (vec!["dispenser", "--format", "csv", "-"], &draws),
        (
            vec![
                "dispenser",
                "--input-format",
                "csv",
                "--format",
                "json",
                "-",
            ],
            &draws,
        ),
        (vec!["taximeter", "-"], &taxi),
        (vec!["taximeter", "--format", "csv", "-"], &taxi),
        (
            vec!["trips", "--tariff", "beijing-2013", "--format", "csv", "-"],
            &trips,
        ),
        (vec!["trips", "--tariff", "beijing-2013", "-"], &trips),
        (vec!["report", "-", "--out", &out], &draws),
        (vec!["explain", "dispenser", "--line", "2", "-"], &draws),
    ];
    // In parallel: each run lasts the pause plus its own time.
    let runs: Vec<_> = cases
        .into_iter()
        .map(|(args, input)| {
            let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
            let input = input.clone();
            std::thread::spawn(move || {
                let a: Vec<&str> = args.iter().map(String::as_str).collect();
                (args.join(" "), run_paused(&a, input))
            })
        })
        .collect();
    for run in runs {
        let (what, o) = run.join().expect("run");
        assert!(matches!(code(&o), 0 | 1), "{what}: {}", stderr(&o));
        assert_no_bar(&what, &o.stderr);
        assert!(stderr(&o).is_empty(), "{what}: stderr {:?}", stderr(&o));
        assert!(!o.stdout.contains(&0x1b), "{what}: escape code on stdout");
    }
}

#[test]
fn quiet_is_accepted_by_every_command_that_reads_a_log() {
    let dir = Dir::new("progress-quiet");
    let draws = fixture("dispenser", "jjg443-station.csv");
    let taxi = fixture("taximeter", "jjg517-installed.csv");
    let trips = fixture("trips", "beijing-2013.csv");
    let out = dir.path("report");
    for q in ["--quiet", "-q"] {
        let cases: Vec<Vec<&str>> = vec![
            vec!["dispenser", q, &draws],
            vec!["taximeter", q, &taxi],
            vec!["trips", "--tariff", "beijing-2013", q, &trips],
            vec!["report", q, &draws, "--out", &out],
            vec!["report", "--kind", "taximeter", q, &taxi, "--out", &out],
            vec!["explain", "dispenser", "--line", "2", q, &draws],
            vec!["explain", "taximeter", "--line", "2", q, &taxi],
        ];
        for args in cases {
            let o = common::run(&args);
            // The same exit status and stdout as without the flag.
            let plain: Vec<&str> = args.iter().copied().filter(|a| *a != q).collect();
            let p = common::run(&plain);
            assert!(matches!(code(&o), 0 | 1), "{args:?}: {}", stderr(&o));
            assert_eq!(code(&o), code(&p), "{args:?}");
            assert_eq!(stdout(&o), stdout(&p), "{args:?}");
            assert_eq!(stderr(&o), "", "{args:?}");
        }
    }
}

#[test]
fn quiet_silences_the_warnings_of_every_command() {
    let dir = Dir::new("progress-warn");
    let header_only = |name: &str, header: &str| {
        let p = dir.path(name);
        std::fs::write(&p, format!("{header}\n")).unwrap();
        p
    };
    let draws = header_only("d.csv", "nozzle,test_point,indicated_l,standard_l");
    let taxi = header_only("t.csv", "vehicle,test,reference_km,indicated_km");
    let trips = header_only("r.csv", "trip,distance_km,duration_s,fare");
    let out = dir.path("report");
    let cases: Vec<Vec<&str>> = vec![
        vec!["dispenser", &draws],
        vec!["taximeter", &taxi],
        vec!["trips", "--tariff", "beijing-2013", &trips],
        // A profile without a fare tolerance: a warning before the input is read.
        vec![
            "trips",
            "--tariff",
            "beijing-2013",
            "--profile",
            "jjg517-2016",
            &trips,
        ],
        vec!["report", &draws, "--out", &out],
    ];
    for args in cases {
        let loud = common::run(&args);
        assert!(
            stderr(&loud).contains("warning"),
            "{args:?}: {}",
            stderr(&loud)
        );
        let mut quiet = args.clone();
        quiet.insert(1, "--quiet");
        let o = common::run(&quiet);
        assert_eq!(stderr(&o), "", "{quiet:?}");
        assert_eq!(code(&o), code(&loud), "{quiet:?}");
        assert_eq!(stdout(&o), stdout(&loud), "{quiet:?}");
    }
}

/// util-linux `script`, which runs a command under a pseudo-terminal; `None` (and a message)
/// when it is missing.
fn script() -> Option<&'static str> {
    let ok = Command::new("script")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("util-linux `script` not found: the terminal test is skipped");
    }
    ok.then_some("script")
}

/// Runs the shell command `line` under a pseudo-terminal (`script -qfec`): returns what
/// the terminal received (the command's stderr, and its stdout unless redirected) and the
/// exit status.
fn on_terminal(script: &str, line: &str) -> (String, i32) {
    let o = Command::new(script)
        .args(["-qfec", line, "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .expect("script runs");
    (String::from_utf8_lossy(&o.stdout).into_owned(), code(&o))
}

/// A shell command that writes `file` with a pause after its first [`HEAD`] bytes.
fn paused_cat(file: &str) -> String {
    format!(
        "{{ head -c {HEAD} '{file}'; sleep {}; tail -c +{} '{file}'; }}",
        PAUSE.as_secs_f64(),
        HEAD + 1
    )
}

#[test]
fn a_spinner_on_a_terminal_for_standard_input_and_none_with_quiet() {
    let Some(script) = script() else { return };
    let dir = Dir::new("progress-tty-stdin");
    let draws = dir.path("draws.csv");
    generate("dispenser", ROWS, &draws);
    let plain = Command::new(bin())
        .args(["dispenser", "--format", "csv", &draws])
        .output()
        .unwrap();
    let table = Command::new(bin())
        .args(["dispenser", &draws])
        .output()
        .unwrap();
    let cat = paused_cat(&draws);
    let v = bin();
    let got = |name: &str| dir.path(name);
    let lines = [
        // stdout to a file, stderr on the terminal: the spinner (bytes read and rate).
        format!(
            "{cat} | '{v}' dispenser --format csv - > '{}'",
            got("bar.csv")
        ),
        // --quiet: nothing at all on the terminal.
        format!(
            "{cat} | '{v}' dispenser --quiet --format csv - > '{}'",
            got("quiet.csv")
        ),
        format!(
            "{cat} | '{v}' dispenser -q --format csv - > '{}'",
            got("q.csv")
        ),
        // Rows streaming onto the terminal itself: no bar (it would draw over them).
        format!("{cat} | '{v}' dispenser --format csv -"),
        // The table is written after the input is read: the bar first, then the table.
        format!("{cat} | '{v}' dispenser -"),
    ];
    // In parallel: each run lasts the pause plus its own time.
    let runs: Vec<_> = lines
        .into_iter()
        .map(|line| std::thread::spawn(move || on_terminal(script, &line)))
        .collect();
    let mut runs = runs.into_iter().map(|r| r.join().expect("run"));
    let mut next = || runs.next().expect("a run");

    let (tty, status) = next();
    assert_eq!(status, code(&plain));
    assert!(
        tty.contains(" read ("),
        "no spinner on the terminal: {tty:?}"
    );
    assert!(
        tty.contains("KiB") || tty.contains("MiB"),
        "no byte count: {tty:?}"
    );
    assert!(
        tty.ends_with("\x1b[2K"),
        "the bar is not cleared last: {tty:?}"
    );
    // The bar never goes to stdout: the file is the plain run's output.
    assert!(
        std::fs::read(got("bar.csv")).unwrap() == plain.stdout,
        "stdout differs"
    );

    for (q, file) in [("--quiet", "quiet.csv"), ("-q", "q.csv")] {
        let (tty, status) = next();
        assert_eq!(status, code(&plain));
        assert_eq!(tty, "", "{q}");
        assert!(
            std::fs::read(got(file)).unwrap() == plain.stdout,
            "{q}: stdout differs"
        );
    }

    let (tty, _) = next();
    assert!(!tty.contains(" read ("), "a bar among streamed rows");
    assert!(!tty.contains('\x1b'), "escape codes among streamed rows");

    let (tty, _) = next();
    let cleared = tty.rfind("\x1b[2K").expect("the bar, cleared");
    assert!(
        tty[..cleared].contains(" read ("),
        "no spinner before the table"
    );
    let after = tty[cleared + 4..].replace("\r\n", "\n");
    assert_eq!(after, stdout(&table), "the table after the bar");
}

#[test]
fn the_bar_is_cleared_before_an_error_message() {
    let Some(script) = script() else { return };
    let dir = Dir::new("progress-tty-error");
    // A JSON array that stops being JSON after ~470 KB (and goes on): reading stops at the
    // error, before the end of the input, so the reader is dropped with the bar shown.
    let item = r#"{"nozzle":"N1","test_point":"max","indicated_l":"20.01","standard_l":"20.00"}"#;
    let mut doc = format!("[{}", vec![item; 6000].join(","));
    doc.push_str(&format!(", x {}]", vec![item; 1000].join(",")));
    let json = dir.path("bad.json");
    std::fs::write(&json, doc).unwrap();
    // Through a FIFO, so that the pause reaches the command reading a named file.
    let fifo = dir.path("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    let (cat, v) = (paused_cat(&json), bin());
    let (tty, status) = on_terminal(
        script,
        &format!("{cat} > '{fifo}' & '{v}' dispenser --input-format json --format csv '{fifo}' > /dev/null"),
    );
    assert_eq!(status, 2, "{tty:?}");
    let error = tty.find("verimeter: error: ").expect("the error message");
    let before = &tty[..error];
    assert!(
        before.contains(" read ("),
        "no spinner before the error: {tty:?}"
    );
    assert!(
        before.ends_with("\r\x1b[2K"),
        "the bar is not cleared before the error: {tty:?}"
    );
    assert!(tty[error..].contains("not a JSON document"), "{tty:?}");
}

/// The bar of a file (bytes of the total, percentage, rate, time left) on a terminal. The
/// file must take longer than a second to read, so the test generates a log sized for the
/// build (150 000 rows, 11 MB, in debug builds; 1 M rows, 72 MB, in release): about 10 s in
/// all in a debug build on the 2-core machine, hence ignored by default
/// (`cargo test -p verimeter-cli --test progress -- --ignored`).
#[test]
#[ignore = "slow: generates and reads a log for more than a second, twice"]
fn a_bar_with_the_total_on_a_terminal_for_a_file_and_none_with_quiet() {
    let Some(script) = script() else { return };
    let dir = Dir::new("progress-tty-file");
    let draws = dir.path("draws.csv");
    let rows = if cfg!(debug_assertions) {
        150_000
    } else {
        1_000_000
    };
    generate("dispenser", rows, &draws);
    let v = bin();
    let got = dir.path("got.csv");
    let (tty, status) = on_terminal(
        script,
        &format!("'{v}' dispenser --format csv '{draws}' > '{got}'"),
    );
    assert!(matches!(status, 0 | 1), "{tty}");
    assert!(tty.contains('%'), "no percentage: {tty:?}");
    assert!(tty.contains(" left)"), "no time left: {tty:?}");
    assert!(tty.contains("MiB/"), "no total: {tty:?}");
    assert!(
        tty.trim_end().ends_with("\x1b[2K"),
        "the bar is not cleared last: {tty:?}"
    );
    let (tty, _) = on_terminal(
        script,
        &format!("'{v}' dispenser -q --format csv '{draws}' > '{got}'"),
    );
    assert_eq!(tty, "", "-q");
}
