//! The outcome of judging a reading, a test point or an instrument.

use serde::{Deserialize, Serialize};

/// A conformity verdict.
///
/// A single reading is [`Pass`](Verdict::Pass) or [`Fail`](Verdict::Fail). An instrument
/// (a nozzle, a meter) can also be [`Incomplete`](Verdict::Incomplete): a test the profile
/// requires is missing or unusable, so conformity is not shown. Incomplete is never a pass.
///
/// Serialised in kebab case: `"pass"`, `"fail"`, `"incomplete"`. The enum is
/// `#[non_exhaustive]`: decision rules with guard bands add conditional states.
///
/// ```
/// use verimeter::Verdict;
/// assert_eq!(serde_json::to_string(&Verdict::Pass).unwrap(), "\"pass\"");
/// assert!(Verdict::Incomplete.worst(Verdict::Fail) == Verdict::Fail);
/// assert!(!Verdict::Incomplete.is_pass());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Verdict {
    /// Within the tolerance.
    Pass,
    /// Outside the tolerance, or a failed requirement.
    Fail,
    /// Not all required tests could be judged.
    Incomplete,
}

impl Verdict {
    /// True only for [`Verdict::Pass`].
    pub fn is_pass(self) -> bool {
        self == Verdict::Pass
    }

    /// The kebab-case name used in CSV and JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Incomplete => "incomplete",
        }
    }

    fn rank(self) -> u8 {
        match self {
            Verdict::Pass => 0,
            Verdict::Incomplete => 1,
            Verdict::Fail => 2,
        }
    }

    /// The worse of two verdicts: fail beats incomplete beats pass.
    pub fn worst(self, other: Verdict) -> Verdict {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
