//! Counting verdicts for the summary line, the JSON `summary` object and the exit status,
//! shared by `dispenser` (rows, nozzles) and `taximeter` (rows, vehicles).

use verimeter::Verdict;

/// Verdict counts of rows or of groups (nozzles, vehicles).
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    /// Everything counted.
    pub total: usize,
    /// Pass.
    pub pass: usize,
    /// Conditional pass (non-binary decision rule).
    pub conditional_pass: usize,
    /// Conditional fail (non-binary decision rule).
    pub conditional_fail: usize,
    /// Fail.
    pub fail: usize,
    /// Rows: not judged (error). Groups: incomplete.
    pub other: usize,
}

impl Tally {
    /// Counts one verdict; `None` (an error row) and `Incomplete` count as `other`.
    pub fn add(&mut self, v: Option<Verdict>) {
        self.total += 1;
        match v {
            Some(Verdict::Pass) => self.pass += 1,
            Some(Verdict::ConditionalPass) => self.conditional_pass += 1,
            Some(Verdict::ConditionalFail) => self.conditional_fail += 1,
            Some(Verdict::Fail) => self.fail += 1,
            _ => self.other += 1,
        }
    }

    /// Every one passes, conditionally or not.
    pub fn all_pass(&self) -> bool {
        self.pass + self.conditional_pass == self.total
    }
}

/// The exit status of a judging command: 0 when no row is an error and every group passes
/// (a conditional pass counts as a pass), else 1.
pub fn exit_code(rows: &Tally, groups: &Tally) -> i32 {
    if rows.other == 0 && groups.all_pass() {
        0
    } else {
        1
    }
}

/// `N (a pass, b fail, …)`, naming the conditional counts only where they are not zero, so
/// that the summary line of the plain comparison reads as it always did. `other` names the
/// last count (`error` for rows, `incomplete` for groups).
pub fn line(t: &Tally, other: &str) -> String {
    let mut parts = vec![format!("{} pass", t.pass)];
    if t.conditional_pass > 0 {
        parts.push(format!("{} conditional-pass", t.conditional_pass));
    }
    if t.conditional_fail > 0 {
        parts.push(format!("{} conditional-fail", t.conditional_fail));
    }
    parts.push(format!("{} fail", t.fail));
    parts.push(format!("{} {other}", t.other));
    format!("{} ({})", t.total, parts.join(", "))
}
