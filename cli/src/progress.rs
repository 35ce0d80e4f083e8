//! Progress on standard error for long runs: how much of the input has been read (issue #6).
//!
//! The bar counts bytes as the commands read them (the input is streamed, so bytes read is
//! the honest measure of progress): for a file, bytes of the total with the rate and the
//! time left; for standard input (size unknown), a spinner with the bytes and the rate.
//!
//! It is drawn only when all of these hold ([`wanted`], then [`SHOW_AFTER`]):
//! - standard error is a terminal (a file or a pipe never gets escape codes);
//! - the user did not ask for `--quiet`;
//! - the command does not stream its rows to a standard output that is a terminal too (the
//!   bar redraws by moving the cursor up over its own line, which would overwrite rows
//!   written in between; `--format table` writes only after the input is read, so it gets
//!   the bar);
//! - the run has lasted [`SHOW_AFTER`]: a quick run stays silent.
//!
//! The bar never writes to standard output. It is cleared when the input ends and when the
//! reader is dropped (also when reading stops on an error), so it is gone before the command
//! writes a warning, an error or its summary to stderr.

use std::io::{self, IsTerminal, Read};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Runs shorter than this show no bar at all (issue #6: "for runs longer than a second").
pub const SHOW_AFTER: Duration = Duration::from_secs(1);

/// Bytes read between two updates of the bar: keeps the per-read cost negligible (an add
/// and a compare per read call; the bar's own work once per 256 KiB).
const UPDATE_EVERY: u64 = 256 * 1024;

/// The bar for a file: bytes of the total, percentage, rate, time left.
const FILE_TEMPLATE: &str =
    "{spinner} [{elapsed_precise}] {wide_bar} {percent:>3}% {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)";

/// The spinner for standard input: bytes so far and rate.
const STDIN_TEMPLATE: &str = "{spinner} [{elapsed_precise}] {bytes} read ({bytes_per_sec})";

/// Whether a command may show a bar at all: not `quiet`, stderr is a terminal, and the
/// command's rows do not stream onto a terminal on stdout (`streams_stdout`: the command
/// writes rows to stdout while it reads).
pub fn wanted(quiet: bool, streams_stdout: bool) -> bool {
    !quiet && io::stderr().is_terminal() && !(streams_stdout && io::stdout().is_terminal())
}

/// A reader that reports how many bytes went through it on a progress bar.
pub struct ProgressReader<R> {
    inner: R,
    bar: Option<Bar>,
}

/// A bar, hidden until [`SHOW_AFTER`] has passed.
struct Bar {
    bar: ProgressBar,
    start: Instant,
    shown: bool,
    /// Bytes read since the last update.
    pending: u64,
}

impl<R: Read> ProgressReader<R> {
    /// Wraps `inner`; `total` is the input's size in bytes when known (a regular file),
    /// `None` for standard input or a pipe. No bar is made at all unless `show` (see
    /// [`wanted`]); the reader then only passes the reads through.
    pub fn new(inner: R, total: Option<u64>, show: bool) -> Self {
        ProgressReader {
            inner,
            bar: show.then(|| Bar::new(total)),
        }
    }
}

impl Bar {
    fn new(total: Option<u64>) -> Self {
        // The templates are constants known to parse; the fallbacks only avoid a panic path.
        let (template, fallback): (&str, fn() -> ProgressStyle) = match total {
            Some(_) => (FILE_TEMPLATE, ProgressStyle::default_bar),
            None => (STDIN_TEMPLATE, ProgressStyle::default_spinner),
        };
        let style = ProgressStyle::with_template(template).unwrap_or_else(|_| fallback());
        // Hidden at first: the counts and the rate run from the start, the drawing only
        // begins after SHOW_AFTER.
        let bar =
            ProgressBar::with_draw_target(total, ProgressDrawTarget::hidden()).with_style(style);
        Bar {
            bar,
            start: Instant::now(),
            shown: false,
            pending: 0,
        }
    }

    fn advance(&mut self, n: u64) {
        self.pending += n;
        if self.pending < UPDATE_EVERY {
            return;
        }
        self.bar.inc(self.pending);
        self.pending = 0;
        if !self.shown && self.start.elapsed() >= SHOW_AFTER {
            self.shown = true;
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.bar.tick();
        }
    }

    fn clear(&self) {
        self.bar.finish_and_clear();
    }
}

impl Drop for Bar {
    /// Reading stopped (the end, an error, or the command gave up): the bar goes. (A
    /// `ProgressBar` dropped unfinished would leave its last line on the screen.)
    fn drop(&mut self) {
        self.clear();
    }
}

impl<R: Read> Read for ProgressReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(bar) = &mut self.bar {
            if n == 0 {
                // End of input: clear the bar before the command writes its summary.
                bar.clear();
            } else {
                bar.advance(n as u64);
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_parse() {
        assert!(ProgressStyle::with_template(FILE_TEMPLATE).is_ok());
        assert!(ProgressStyle::with_template(STDIN_TEMPLATE).is_ok());
    }

    #[test]
    fn passes_every_byte_through_with_or_without_a_bar() {
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        for show in [false, true] {
            // (With `show`, the bar stays hidden: it is less than SHOW_AFTER old; and the
            // tests' stderr is no terminal for indicatif either.)
            let mut r = ProgressReader::new(data.as_slice(), Some(data.len() as u64), show);
            let mut out = Vec::new();
            r.read_to_end(&mut out).unwrap();
            assert_eq!(out, data);
        }
    }
}
