//! The command line, declared with clap's derive so that every flag's help sits next to it.
//!
//! The names here are a public contract (scripts and analysts' notebooks call them): rename
//! nothing without a deprecation path.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Judge legal-metrology test readings of fuel-dispenser nozzles against a regulation.
#[derive(Debug, Parser)]
#[command(name = "verimeter", version, about, long_about = LONG_ABOUT)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

const LONG_ABOUT: &str = "\
Judge legal-metrology test readings of fuel-dispenser nozzles against a regulation.

Each regulation is a profile (JJG 443-2015, OIML R117-1, NIST HB44 §3.30, EU MID MI-005):
its tolerances, repeatability rules, thermal coefficients and amount check are data with the
clause each number comes from. `verimeter profiles` lists them.

Example:
  verimeter dispenser --profile jjg443-2015 --stage subsequent station.csv
  verimeter profiles --format json";

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Judge the draws in a CSV file: one verdict per draw, one per nozzle.
    #[command(long_about = DISPENSER_LONG, after_long_help = DISPENSER_AFTER)]
    Dispenser(DispenserArgs),
    /// List the built-in profiles (id, version, title, stages).
    #[command(
        long_about = "List the built-in dispenser profiles: id, version, title and stages \
(the default stage is marked with *).\n\nWith --format json the full profile objects are \
printed, ready to be copied, edited and used with `verimeter dispenser --profile-file`.",
        after_long_help = "Example:\n  verimeter profiles --format json > profiles.json"
    )]
    Profiles(ProfilesArgs),
    /// Validate the fares of a trip log against a tariff: one verdict per trip.
    #[command(long_about = crate::trips_help::LONG, after_long_help = crate::trips_help::AFTER)]
    Trips(TripsArgs),
}

const DISPENSER_LONG: &str = "\
Judge the draws in a CSV file against a profile stage.

Input: a CSV file with a header row; columns in any order, header names trimmed and
case-insensitive, other columns echoed to the output.
  required   nozzle, test_point (max | intermediate | min | mmq),
             indicated_l, standard_l  (or indicated_gal, standard_gal in US gallons)
  optional   fuel, can_material        (a name of the profile, or a coefficient per °C)
             dispenser_temp_c, can_temp_c   (t_J at the meter, t_B in the can)
             flow_l_min, mmq_l (the nozzle's minimum measured quantity, litres)
             unit_price, amount        (exact decimals; the amount check needs both)
An empty cell is an absent value.

Every data row gives one output row, in input order: a judged draw or an error naming the
line, the column and the value. Rows are grouped by nozzle for repeatability and
required-test checks; a nozzle with an unusable row is incomplete.

Output (--format): `table` for people; `json` for programs (profile, rows, nozzles and
summary counts); `csv` echoes the input columns and adds line, error_pct, judged_error_pct,
mpe_pct, lower_limit_pct, upper_limit_pct, corrected_standard_l, verdict, error, clause —
one row per input row and nothing else (nozzle verdicts are in the json and table formats).

Exit status: 0 every nozzle passes and no row is an error; 1 a nozzle fails or is
incomplete, or a row is an error; 2 usage error or unreadable input (missing file, missing
columns, empty file, bad profile).";

const DISPENSER_AFTER: &str = "\
Examples:
  verimeter dispenser fixtures/dispenser/jjg443-station.csv
  verimeter dispenser --profile nist-hb44-3.30 --stage acceptance fixtures/dispenser/hb44-gallons.csv
  verimeter dispenser --profile-file my-bureau.json --format json readings.csv
  cat readings.csv | verimeter dispenser --format csv - > judged.csv";

/// Arguments of `verimeter dispenser`.
#[derive(Debug, clap::Args)]
pub struct DispenserArgs {
    /// Built-in profile id (see `verimeter profiles`).
    #[arg(
        long,
        value_name = "ID",
        default_value = "jjg443-2015",
        conflicts_with = "profile_file"
    )]
    pub profile: String,

    /// A custom profile in JSON (e.g. edited from `verimeter profiles --format json`);
    /// validated before use.
    #[arg(long, value_name = "PATH")]
    pub profile_file: Option<PathBuf>,

    /// The verification stage (e.g. first, subsequent, in-service; acceptance, maintenance);
    /// the profile's default stage when absent.
    #[arg(long, value_name = "STAGE")]
    pub stage: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// The CSV file of draws, or `-` for standard input.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// Arguments of `verimeter profiles`.
#[derive(Debug, clap::Args)]
pub struct ProfilesArgs {
    /// Output format: `table` (a summary) or `json` (the full profile objects).
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

/// Output formats of `verimeter dispenser`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// An aligned text table of rows, then nozzles, then a summary line.
    Table,
    /// One JSON object: profile, rows, nozzles, summary.
    Json,
    /// The input columns echoed, then the results; one row per input row.
    Csv,
}

/// Output formats of `verimeter profiles`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// id, version, title, stages.
    Table,
    /// The full profile objects, as a JSON array.
    Json,
}

/// Arguments of `verimeter trips`.
#[derive(Debug, clap::Args)]
pub struct TripsArgs {
    /// The tariff: a JSON file (as in fixtures/tariffs/), or, when no such file exists, a
    /// built-in tariff id (beijing-2013, shanghai-2015, nyc-yellow-2019).
    #[arg(long, value_name = "FILE|ID")]
    pub tariff: String,

    /// A built-in taximeter profile (e.g. mid-mi007) whose fare tolerance widens the bounds
    /// and judges the fare against the nominal fare too (for exact, metered data).
    #[arg(long, value_name = "ID")]
    pub profile: Option<String>,

    /// The profile's stage (its default stage when absent); only with --profile.
    #[arg(long, value_name = "STAGE", requires = "profile")]
    pub stage: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// The CSV trip log, or `-` for standard input.
    #[arg(value_name = "LOG")]
    pub file: PathBuf,
}
