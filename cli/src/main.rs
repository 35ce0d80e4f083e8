//! `verimeter`: the command-line front end of the verimeter library.
//!
//! The library is pure (values in, values out); everything about files, CSV, JSON, terminals
//! and exit statuses lives here, in small modules:
//! - [`args`]: the command line (clap derive) — the public contract of flags;
//! - [`input`]: CSV → draws or row errors; [`json_in`]: JSON Lines / JSON array → the same;
//! - [`csvread`]: the CSV layer shared by every command that reads CSV (physical line numbers,
//!   cells, numbers, error wording);
//! - [`dispenser_cmd`]: judge each draw and each nozzle with the library;
//! - [`fast_csv`]: the fast path of `dispenser --format csv` (block reader, batch core, exact
//!   number parsing and formatting), falling back to the general path for anything unusual;
//! - [`taximeter_cmd`], [`taximeter_input`], [`taximeter_out`]: the same for taximeter tests
//!   and vehicles;
//! - [`decide`]: the decision-rule flags and budgets; [`tally`]: counts and exit status;
//! - [`output`], [`json_out`], [`jsonl_out`]: the table, CSV, JSON and JSON Lines formats;
//! - [`profiles_cmd`]: listing the built-in profiles of both kinds;
//! - [`trips_cmd`] (with [`trips_in`], [`trips_out`], [`trips_help`]): trip-log fare
//!   validation.
//! - [`generate`]: synthetic dispenser and trip logs, streamed.
//! - [`progress`]: the progress bar on stderr for long runs (bytes of the input read).
//!
//! Exit status: 0 all pass (a conditional pass counts as a pass), 1 something fails, fails
//! conditionally, is incomplete or a row is an error, 2 usage error or unreadable input.

#![forbid(unsafe_code)]

mod args;
mod csvread;
mod decide;
mod dispenser_cmd;
mod explain_cmd;
mod fast_csv;
mod generate;
mod input;
mod json_in;
mod json_out;
mod jsonl_out;
mod nozzle_index;
mod output;
mod profiles_cmd;
mod progress;
mod report;
mod tally;
mod taximeter_cmd;
mod taximeter_input;
mod taximeter_out;
mod trips_cmd;
mod trips_help;
mod trips_in;
mod trips_out;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Dispenser(a) => dispenser_cmd::run(a),
        Command::Taximeter(a) => taximeter_cmd::run(a),
        Command::Profiles(a) => profiles_cmd::run(a),
        Command::Trips(a) => trips_cmd::run(a),
        Command::Explain(a) => explain_cmd::run(a),
        Command::Report(a) => report::run(a),
        Command::Generate(a) => generate::run(a),
    };
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(msg) => {
            eprintln!("verimeter: error: {msg}");
            ExitCode::from(2)
        }
    }
}

/// Writes the whole output to stdout.
///
/// A closed pipe (`verimeter … | head`) is not an error worth a message: the reader has what
/// it wanted, so we stop writing quietly and keep the verdict's exit status. Any other write
/// error is fatal (exit status 2).
pub fn write_stdout(bytes: &[u8]) -> Result<(), String> {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write the output: {e}"))
        }
        _ => Ok(()),
    }
}

/// A csv write error as the I/O error it wraps (so that a closed pipe is still seen as one:
/// `io::Error::from(csv::Error)` makes every error `Other`), or as text.
pub fn csv_io(e: csv::Error) -> io::Error {
    let text = e.to_string();
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        _ => io::Error::other(text),
    }
}
