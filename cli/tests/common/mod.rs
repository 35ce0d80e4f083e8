//! Helpers shared by the CLI test files: run the real binary, read its outputs.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

/// `fixtures/<dir>/<name>` as a string path.
pub fn fixture(dir: &str, name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures")
        .join(dir)
        .join(name)
        .to_str()
        .expect("utf-8 path")
        .to_string()
}

/// Runs `verimeter ARGS`.
pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_verimeter"))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Runs `verimeter COMMAND [flags] FILE`.
pub fn cmd(command: &str, flags: &[&str], file: &str) -> Output {
    let mut args = vec![command];
    args.extend_from_slice(flags);
    args.push(file);
    run(&args)
}

pub fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 stdout")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("utf-8 stderr")
}

pub fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

/// The JSON report of `verimeter COMMAND --format json [flags] FILE`, with its exit status.
pub fn report(command: &str, flags: &[&str], file: &str) -> (i32, Value) {
    let mut f = vec!["--format", "json"];
    f.extend_from_slice(flags);
    let o = cmd(command, &f, file);
    (code(&o), json(&o))
}

/// The row of a report that starts on `line`.
pub fn row(doc: &Value, line: u64) -> &Value {
    doc["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["line"] == line)
        .unwrap_or_else(|| panic!("line {line} in {doc}"))
}

/// The group (`nozzles` / `vehicles`) entry with `key` = `id`.
pub fn group<'a>(doc: &'a Value, list: &str, key: &str, id: &str) -> &'a Value {
    doc[list]
        .as_array()
        .expect("groups")
        .iter()
        .find(|n| n[key] == id)
        .unwrap_or_else(|| panic!("{key} {id} in {doc}"))
}

pub fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// `x` to `d` decimals, as published.
pub fn digits(x: f64, d: usize) -> String {
    format!("{x:.d$}")
}

/// rows = pass + conditional_pass + conditional_fail + fail + error, and the same for the
/// groups (`nozzles` / `vehicles`), against the arrays.
pub fn assert_counts_add_up(doc: &Value, groups: &str) {
    let s = &doc["summary"];
    let n = |k: &str| {
        s[k].as_u64()
            .unwrap_or_else(|| panic!("summary.{k} missing: {s}"))
    };
    assert_eq!(
        n("rows"),
        n("rows_pass")
            + n("rows_conditional_pass")
            + n("rows_conditional_fail")
            + n("rows_fail")
            + n("rows_error"),
        "{s}"
    );
    let g = |k: &str| n(&format!("{groups}_{k}"));
    assert_eq!(
        n(groups),
        g("pass") + g("conditional_pass") + g("conditional_fail") + g("fail") + g("incomplete"),
        "{s}"
    );
    assert_eq!(n("rows"), doc["rows"].as_array().unwrap().len() as u64);
    assert_eq!(n(groups), doc[groups].as_array().unwrap().len() as u64);
    let errors = doc["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("error").is_some())
        .count() as u64;
    assert_eq!(n("rows_error"), errors);
}

/// Starts `verimeter ARGS` with standard input, output and error all pipes.
pub fn spawn_piped(args: &[&str]) -> std::process::Child {
    use std::process::Stdio;
    Command::new(env!("CARGO_BIN_EXE_verimeter"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs")
}

/// Runs `verimeter ARGS` with `input` on standard input.
pub fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    use std::io::{ErrorKind, Write};
    let mut child = spawn_piped(args);
    let written = child.stdin.take().expect("stdin").write_all(input);
    // The command may exit (usage error) before reading: a broken pipe here is fine.
    if let Err(e) = written {
        assert_eq!(e.kind(), ErrorKind::BrokenPipe, "write stdin: {e}");
    }
    child.wait_with_output().expect("the binary ends")
}

/// A file `name` (unique within the test binary) with `text` in it, in a fresh directory
/// under the system's temporary directory; both are removed when it is dropped. It reads
/// as its path (`&file` where a `&str` is wanted).
pub fn temp_file(name: &str, text: &str) -> TempFile {
    let dir = Dir::new(&format!("file-{name}"));
    let path = dir.path(name);
    std::fs::write(&path, text).expect("write temp file");
    TempFile { path, _dir: dir }
}

/// See [`temp_file`].
pub struct TempFile {
    path: String,
    _dir: Dir,
}

impl std::ops::Deref for TempFile {
    type Target = str;
    fn deref(&self) -> &str {
        &self.path
    }
}

impl AsRef<std::path::Path> for TempFile {
    fn as_ref(&self) -> &std::path::Path {
        self.path.as_ref()
    }
}

impl std::fmt::Display for TempFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.path)
    }
}

/// A fresh temporary directory for one test's files, removed when dropped.
pub struct Dir(PathBuf);

impl Dir {
    /// `$TMPDIR/verimeter-<pid>-<name>`, created empty (`name` unique within the test binary).
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("verimeter-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        Dir(dir)
    }

    /// The path of `name` inside the directory.
    pub fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().expect("utf-8 path").to_string()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
