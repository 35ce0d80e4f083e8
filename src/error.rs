//! The one error type of the crate.
//!
//! Every variant names the field and the value that caused it, so that a message can be shown
//! to an inspector as it is. File positions (line numbers) are added by callers that read files
//! (the CLI); the library never sees a file.

use thiserror::Error;

/// Everything that can go wrong when evaluating a reading, a profile or a tariff.
///
/// Bad input is always an `Err`, never a panic and never a silent result.
///
/// ```
/// use verimeter::Error;
/// let e = Error::NotFinite { field: "indicated_l", value: f64::NAN };
/// assert_eq!(e.to_string(), "indicated_l must be a finite number, got NaN");
/// ```
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum Error {
    /// A number is NaN or infinite.
    #[error("{field} must be a finite number, got {value}")]
    NotFinite {
        /// The input field.
        field: &'static str,
        /// The offending value.
        value: f64,
    },
    /// A quantity that must be strictly positive (a volume, a distance, a price) is zero or
    /// negative.
    #[error("{field} must be > 0, got {value}")]
    NotPositive {
        /// The input field.
        field: &'static str,
        /// The offending value.
        value: f64,
    },
    /// A quantity that must not be negative is negative.
    #[error("{field} must be >= 0, got {value}")]
    Negative {
        /// The input field.
        field: &'static str,
        /// The offending value.
        value: f64,
    },
    /// A value lies outside the range in which the regulation allows the reading to be used
    /// (an applicability limit, not a tolerance): e.g. JJG 443's |t_J − t_B| ≤ 4 °C.
    #[error("{field} = {value} is outside the applicability limit of {limit} ({clause})")]
    OutOfScope {
        /// What was checked, e.g. `"|dispenser_temp_c - can_temp_c|"`.
        field: &'static str,
        /// The value found.
        value: f64,
        /// The limit it exceeds.
        limit: f64,
        /// The clause that sets the limit.
        clause: String,
    },
    /// One of two fields that only make sense together was given without the other.
    #[error("{missing} is missing: {purpose} needs it together with {given}")]
    MissingCompanion {
        /// The field that was given.
        given: &'static str,
        /// The field that is missing.
        missing: &'static str,
        /// Why both are needed.
        purpose: &'static str,
    },
    /// A name (fuel, can material, test point, unit, …) is not one the library knows.
    #[error("unknown {field} {value:?}; expected one of: {expected}")]
    UnknownName {
        /// The kind of name, e.g. `"fuel"`.
        field: &'static str,
        /// The name given.
        value: String,
        /// The accepted names, comma-separated.
        expected: String,
    },
    /// A profile id is not built in.
    #[error("unknown profile {id:?}; known profiles: {known}")]
    UnknownProfile {
        /// The id asked for.
        id: String,
        /// The known ids, comma-separated.
        known: String,
    },
    /// A stage name is not defined by the profile.
    #[error("profile {profile} has no stage {stage:?}; its stages are: {known}")]
    UnknownStage {
        /// The profile id.
        profile: String,
        /// The stage asked for.
        stage: String,
        /// The stages it has, comma-separated.
        known: String,
    },
    /// A profile (built in or custom) is malformed or inconsistent.
    #[error("invalid profile {profile}: {path}: {reason}")]
    InvalidProfile {
        /// The profile id (or `"<unnamed>"`).
        profile: String,
        /// Where in the profile, e.g. `stages.first.indication.tolerance`.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A tolerance rule needs a quantity that the reading did not provide (e.g. the minimum
    /// measured quantity for MID's minimum specified volume deviation).
    #[error("the tolerance rule needs {what}, which was not given ({clause})")]
    MissingContext {
        /// The missing quantity.
        what: &'static str,
        /// The rule that needs it.
        clause: String,
    },
    /// A money value or computation is invalid (overflow, too many digits, bad text).
    #[error("{field}: invalid money value {value:?}: {reason}")]
    Money {
        /// The input field.
        field: &'static str,
        /// The offending text or value.
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// A quantity is given in a unit of the wrong dimension (a distance in seconds, a time in
    /// kilometres).
    #[error("{field} is given in {unit}, which is not a unit of {expected}")]
    WrongUnit {
        /// The input field, e.g. `"reference_unit"`.
        field: &'static str,
        /// The unit's symbol as given, e.g. `"s"`.
        unit: &'static str,
        /// The dimension expected, with its accepted units, e.g. `"length (m, km, mi)"`.
        expected: &'static str,
    },
    /// The columns of a batch do not all have the same number of rows (an input or output
    /// slice is shorter or longer than the first input column).
    #[error("{field} has {len} rows, expected {expected} (every column of a batch has one value per row)")]
    LengthMismatch {
        /// The column.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The length of the first input column.
        expected: usize,
    },
    /// A list that must not be empty is empty.
    #[error("{field} must not be empty")]
    Empty {
        /// The input field.
        field: &'static str,
    },
    /// Input the caller could not turn into values at all (a malformed record, text that is
    /// not a number). The library never returns it; it lets a caller that reads files (the
    /// CLI) pass such a reading on as an unusable draw, e.g. to
    /// [`summarize_nozzle`](crate::dispenser::summarize_nozzle), so that it counts.
    ///
    /// ```
    /// use verimeter::Error;
    /// let e = Error::Unreadable { reason: "indicated_l: not a number: \"abc\"".into() };
    /// assert_eq!(e.to_string(), "indicated_l: not a number: \"abc\"");
    /// ```
    #[error("{reason}")]
    Unreadable {
        /// What is wrong, naming the field and the text.
        reason: String,
    },
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Checks that `value` is finite.
pub(crate) fn finite(field: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(Error::NotFinite { field, value })
    }
}

/// Checks that `value` is finite and strictly positive.
pub(crate) fn positive(field: &'static str, value: f64) -> Result<f64> {
    finite(field, value)?;
    if value > 0.0 {
        Ok(value)
    } else {
        Err(Error::NotPositive { field, value })
    }
}
