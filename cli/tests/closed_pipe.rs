//! A closed output pipe (`verimeter … | head`) ends the output quietly: no error message,
//! and the exit status is that of the whole file (the rows are still judged).

mod common;

use std::process::{Command, Stdio};

use common::{fixture, run, temp_file};

/// Runs `verimeter ARGS` with its standard output closed before it writes anything.
fn with_closed_stdout(args: &[&str]) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_verimeter"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    drop(child.stdout.take());
    let o = child.wait_with_output().expect("exits");
    (
        o.status.code().expect("exit status"),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn closed_pipe_is_quiet_for_every_streaming_format() {
    let o = run(&["generate", "dispenser", "--rows", "3000"]);
    let log = temp_file("closed-pipe.csv", &String::from_utf8(o.stdout).unwrap());
    let taxi = fixture("taximeter", "jjg517-installed.csv");
    let trips = fixture("trips", "beijing-2013.csv");
    let cases: [Vec<&str>; 7] = [
        vec!["dispenser", "--format", "csv", &log],
        vec!["dispenser", "--format", "jsonl", &log],
        vec!["dispenser", "--format", "json", &log],
        vec!["taximeter", "--format", "csv", &taxi],
        vec!["taximeter", "--format", "json", &taxi],
        vec![
            "trips",
            "--tariff",
            "beijing-2013",
            "--format",
            "csv",
            &trips,
        ],
        vec![
            "trips",
            "--tariff",
            "beijing-2013",
            "--format",
            "json",
            &trips,
        ],
    ];
    for args in cases {
        let (code, stderr) = with_closed_stdout(&args);
        assert!(code == 0 || code == 1, "{args:?}: exit {code}, {stderr}");
        assert!(!stderr.contains("cannot write"), "{args:?}: {stderr}");
        // The same status as with an open pipe.
        assert_eq!(code, common::code(&run(&args)), "{args:?}");
    }
}
