//! The outcome of judging a reading, a test point or an instrument.

use serde::{Deserialize, Serialize};

/// A conformity verdict.
///
/// A single reading is [`Pass`](Verdict::Pass) or [`Fail`](Verdict::Fail). An instrument
/// (a nozzle, a meter) can also be [`Incomplete`](Verdict::Incomplete): a test the profile
/// requires is missing or unusable, so conformity is not shown. Incomplete is never a pass.
///
/// With a non-binary decision rule (ILAC-G8:2019) a result near a limit is a
/// [`ConditionalPass`](Verdict::ConditionalPass) or [`ConditionalFail`](Verdict::ConditionalFail).
///
/// Serialised in kebab case: `"pass"`, `"fail"`, `"incomplete"`, `"conditional-pass"`,
/// `"conditional-fail"`. The enum is `#[non_exhaustive]`.
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
    /// Inside the tolerance but within the guard band of a limit (ILAC-G8:2019).
    ConditionalPass,
    /// Outside the tolerance but within the guard band beyond a limit (ILAC-G8:2019).
    ConditionalFail,
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
            Verdict::ConditionalPass => "conditional-pass",
            Verdict::ConditionalFail => "conditional-fail",
        }
    }

    fn rank(self) -> u8 {
        match self {
            Verdict::Pass => 0,
            Verdict::ConditionalPass => 1,
            Verdict::Incomplete => 2,
            Verdict::ConditionalFail => 3,
            Verdict::Fail => 4,
        }
    }

    /// The worse of two verdicts: fail, conditional fail, incomplete, conditional pass, pass.
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
