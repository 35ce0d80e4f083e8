//! The command line, declared with clap's derive so that every flag's help sits next to it.
//!
//! The names here are a public contract (scripts and analysts' notebooks call them): rename
//! nothing without a deprecation path.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Judge legal-metrology test readings of fuel-dispenser nozzles and taximeters against a
/// regulation.
#[derive(Debug, Parser)]
#[command(name = "verimeter", version, about, long_about = LONG_ABOUT)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

const LONG_ABOUT: &str = "\
Judge legal-metrology test readings of fuel-dispenser nozzles and taximeters against a
regulation.

Each regulation is a profile — dispensers: JJG 443-2015, OIML R117-1, NIST HB44 §3.30, EU MID
MI-005; taximeters: JJG 517-2016, OIML R21, NIST HB44 §5.54, EU MID MI-007. Its tolerances,
rounding and (dispensers) repeatability rules, thermal coefficients and amount check are data
with the clause each number comes from. `verimeter profiles` lists them.

Both judging commands take a decision rule (--decision-rule simple | guarded |
guarded-rejection | non-binary, ILAC-G8:2019) that weighs each error's expanded
uncertainty U against the limits.

Examples:
  verimeter dispenser --profile jjg443-2015 --stage subsequent station.csv
  verimeter taximeter --profile jjg517-2016 --stage installed readings.csv
  verimeter dispenser --decision-rule non-binary near-limit.csv
  verimeter profiles --kind taximeter --format json";

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Judge the draws in a CSV file: one verdict per draw, one per nozzle.
    #[command(long_about = DISPENSER_LONG, after_long_help = DISPENSER_AFTER)]
    Dispenser(DispenserArgs),
    /// Judge taximeter distance and time tests in a CSV file: one verdict per test, one per
    /// vehicle, a k calibration suggestion.
    #[command(long_about = TAXIMETER_LONG, after_long_help = TAXIMETER_AFTER)]
    Taximeter(TaximeterArgs),
    /// List the built-in profiles (kind, id, version, title, stages).
    #[command(
        long_about = "List the built-in profiles, dispenser and taximeter: kind, id, version, \
title and stages (the default stage is marked with *).\n\nWith --format json the full \
profile objects are printed as one JSON array (dispenser profiles first, then taximeter \
profiles), each with an added \"kind\" field (\"dispenser\" or \"taximeter\"). An object \
can be copied, edited and used with `verimeter dispenser --profile-file` or `verimeter \
taximeter --profile-file`, which accept the \"kind\" field (and refuse a profile of the other \
kind). --kind keeps one kind only.",
        after_long_help = "Examples:\n  verimeter profiles\n  verimeter profiles --kind \
taximeter\n  verimeter profiles --kind dispenser --format json > profiles.json"
    )]
    Profiles(ProfilesArgs),
    /// Validate the fares of a trip log against a tariff: one verdict per trip.
    #[command(long_about = crate::trips_help::LONG, after_long_help = crate::trips_help::AFTER)]
    Trips(TripsArgs),
    /// Explain one row step by step: formulas, the numbers put in, the clauses, the verdicts
    /// of the row and of its nozzle (vehicle).
    #[command(
        long_about = crate::explain_cmd::LONG_ABOUT,
        after_long_help = crate::explain_cmd::AFTER
    )]
    Explain(crate::explain_cmd::ExplainArgs),
    /// Write a self-contained HTML report (summary, failing first, a chart per nozzle or
    /// vehicle) into a directory.
    #[command(
        long_about = crate::report::LONG_ABOUT,
        after_long_help = crate::report::AFTER
    )]
    Report(crate::report::ReportArgs),
    /// Write a realistic synthetic log (dispenser draws or taxi trips), deterministic for a
    /// seed, streamed to stdout or a file.
    #[command(
        long_about = crate::generate::LONG_ABOUT,
        after_long_help = crate::generate::AFTER
    )]
    Generate(crate::generate::GenerateArgs),
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
             unit_price, amount        (exact decimals; the amount check needs both;
                                        the price is per litre, per gallon in a gallon log)
An empty cell is an absent value.
JSON input (--input-format, or by extension: .jsonl/.ndjson JSON Lines, one object per
line; .json one array of objects): the keys are the column names above (case-insensitive;
the columns are the union of the keys), a string is the cell as written, a number its JSON
text, null or an absent key an empty cell; give money as strings (\"157.00\") to keep its
digits. A JSONL line that is not an object, or an array/object value, is a row error; the
line of a row is its physical line (JSONL) or its index + 1 in the array (JSON).

Every data row gives one output row, in input order: a judged draw or an error naming the
line, the column and the value. Rows are grouped by nozzle for repeatability and
required-test checks; a nozzle with an unusable row is incomplete.

Output (--format): `table` for people; `json` for programs (profile, rows, nozzles and
summary counts); `csv` echoes the input columns and adds line, error_pct, judged_error_pct,
mpe_pct, lower_limit_pct, upper_limit_pct, corrected_standard_l, verdict, error, clause —
one row per input row and nothing else (nozzle verdicts are in the json and table formats);
with a decision rule also expanded_uncertainty_pct, coverage_factor, decision_rule,
guard_band_pct, budget. `jsonl` (JSON Lines, for streaming consumers): one object per row
with the fields of a json row and \"type\": \"row\", in input order; then one per nozzle with
the fields of a json nozzle and \"type\": \"nozzle\"; then one {\"type\": \"summary\", \"profile\":
{…}, [\"decision_rule\": {…},] and the json summary counts}.

Decision rules: by default (--decision-rule simple, no uncertainty column) each error is
compared with the limits as it is, and the output is that of earlier versions. With another
rule, --uncertainty or any uncertainty column, each judged row carries its expanded
uncertainty U (percentage points of E) and the rule; see DECISION RULES below.
  uncertainty columns (optional, per row, override --budget / the default budget):
             can_u_rel (the can certificate's relative U, e.g. 0.0004), can_k (its k),
             can_resolution_l, dispenser_resolution_l (litres), thermometer_error_c (±°C);
             expanded_uncertainty_pct (U of E itself, replaces the budget) with
             coverage_factor (its k, 2 when absent)

Exit status: 0 every nozzle passes (or passes conditionally) and no row is an error; 1 a
nozzle fails, fails conditionally or is incomplete, or a row is an error; 2 usage error or
unreadable input (missing file, missing columns, empty file, bad profile, bad budget file).";

const DISPENSER_AFTER: &str = concat!(
    "\
DECISION RULES (ILAC-G8:2019; U = expanded uncertainty, w = R·U with R = --guard-factor):
  simple             pass inside the limits (U shown, not used)
  guarded            pass only inside the limits narrowed by w (guarded acceptance)
  guarded-rejection  fail only beyond the limits widened by w
  non-binary         pass inside limits − w; conditional-pass between limits − w and the
                     limits; conditional-fail between the limits and limits + w; fail beyond
A nozzle's verdict is the worst of its draws: fail > conditional-fail > incomplete >
conditional-pass > pass.
U of a draw comes from the default budget (DispenserBudgetSpec::default(): third-class can
with U_rel 4e-4 at k = 2, 0.01 L can and dispenser resolution, ±0.1 °C thermometers, ±10 %
on β, 0.002 L drainage, p = 95.45 %) at the draw's volume V_Bt, the fuel's β and t_J − t_B
(β = 0 and no thermal lines when neither temperatures nor a known fuel are given); --budget
FILE replaces it with a JSON object of the same fields (can_relative_u, can_k,
can_resolution_l, dispenser_resolution_l, thermometer_error_c, beta_fuel_relative,
drainage_l, repeatability [s %, ν], coverage_probability; missing fields keep the default);
the uncertainty columns override single fields per row.

",
    "\
Examples:
  verimeter dispenser fixtures/dispenser/jjg443-station.csv
  verimeter dispenser --profile nist-hb44-3.30 --stage acceptance fixtures/dispenser/hb44-gallons.csv
  verimeter dispenser --profile-file my-bureau.json --format json readings.csv
  cat readings.csv | verimeter dispenser --format csv - > judged.csv
  verimeter dispenser readings.jsonl
  verimeter dispenser --format jsonl big.csv | jq -c 'select(.type == \"row\" and .verdict == \"fail\")'
  cat readings.ndjson | verimeter dispenser --input-format jsonl --format json -
  verimeter dispenser --decision-rule non-binary fixtures/dispenser/near-limit.csv
  verimeter dispenser --decision-rule guarded --guard-factor 0.5 --budget budget.json f.csv"
);

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

    /// The decision rule and the uncertainty it weighs.
    #[command(flatten)]
    pub decision: DecisionArgs,

    /// Instead of the table, explain the row that starts on physical line N (the header is
    /// line 1) step by step, as `verimeter explain dispenser --line N` does (--format json:
    /// the steps as a JSON array).
    #[arg(long, value_name = "N")]
    pub explain: Option<u64>,

    /// The input format: csv, jsonl (JSON Lines, one object per line) or json (one array of
    /// objects), with the CSV column names as keys. Default: by the file's extension
    /// (.jsonl/.ndjson, .json), else csv (standard input too). Row "line" numbers are the
    /// physical line in csv and jsonl, the element's index + 1 in json.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub input_format: Option<crate::json_in::InputFormat>,

    /// No warnings on stderr (e.g. the header-only warning) and no progress bar; errors are
    /// still reported. (The bar is drawn only on a terminal, after a second.)
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// Hidden: read CSV by the general path only (no `fast_csv` fast path), to compare the
    /// two; the output is the same.
    #[arg(long, hide = true)]
    pub no_fast_path: bool,

    /// The file of draws (CSV, JSON Lines or JSON), or `-` for standard input.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// The decision-rule flags, shared by `dispenser` and `taximeter`.
#[derive(Debug, Clone, clap::Args)]
pub struct DecisionArgs {
    /// How U weighs in the verdict (ILAC-G8:2019): `simple` (the limits alone), `guarded`
    /// (acceptance zone narrowed by R·U), `guarded-rejection` (rejection zone moved out by R·U),
    /// `non-binary` (pass / conditional-pass / conditional-fail / fail).
    #[arg(long, value_name = "RULE", default_value = "simple")]
    pub decision_rule: String,

    /// R, the guard band in units of U (w = R·U); >= 0.
    #[arg(long, value_name = "R", default_value_t = 1.0)]
    pub guard_factor: f64,

    /// A JSON budget spec replacing the default budget (missing fields keep their default);
    /// implies --uncertainty.
    #[arg(long, value_name = "FILE")]
    pub budget: Option<PathBuf>,

    /// Compute and show U for every judged row even under the simple rule.
    #[arg(long)]
    pub uncertainty: bool,
}

const TAXIMETER_LONG: &str = "\
Judge taximeter distance and time tests in a CSV file against a profile stage.

The error of a test is δ = (indicated − reference) / reference × 100 %, positive when the
meter over-registers (against the passenger).

Input: a CSV file with a header row; columns in any order, header names trimmed and
case-insensitive, other columns echoed to the output.
  required   vehicle, test (distance | time)
  readings   one of:
             reference_<unit>, indicated_<unit>  with unit km, m, mi (distance) or s, min, h
                  (time); several pairs may coexist (e.g. reference_m and reference_s), each
                  row fills one reference and one indicated cell
             reference, indicated, unit           (the unit per row in its own column)
             k, count, indicated_<unit>           bench test: the meter with constant k
                  (signals per km) shows Q = indicated after count signals; the reference is
                  count / k km, δ = (k·Q − N)/N (the test column may then be empty: distance)
  optional   k (signals per km; on a road/roller row it is the meter's current k, used for
             the calibration suggestion), expanded_uncertainty_pct, coverage_factor (U of δ,
             percentage points, and its k, 2 when absent)
An empty cell is an absent value.

Every data row gives one output row, in input order: a judged test or an error naming the
line, the column and the value. A stage that sets no tolerance for a test kind (JJG 517
installed: time) makes such rows errors. Rows are grouped by vehicle: a vehicle's verdict is
the worst of its tests (fail > conditional-fail > incomplete > conditional-pass > pass; an
unusable row makes it incomplete). When the stage has a calibration target (JJG 517
installed: −1.5 %, the band's middle ⚠) and the vehicle has distance tests, the vehicle gets
a calibration suggestion from the mean distance error: k_new = k · (1 + δ)/(1 + δ_target)
when a k column gives k, else the factor (1 + δ)/(1 + δ_target) to apply to k.

Decision rules: as for `verimeter dispenser` (see DECISION RULES below). U of a test comes
from the default budget (TaximeterBudgetSpec::default(): reference distance ±0.3 %, distance
display step 100 m, stopwatch ±0.1 s/h, reaction ±0.2 s ⚠, time display step 1 s, p =
95.45 %) at the test's reference; --budget FILE replaces it with a JSON object of the same
fields (reference_distance_relative_mpe, distance_display_step_m, stopwatch_s_per_h,
reaction_s, time_display_step_s, repeatability [s %, ν], coverage_probability);
expanded_uncertainty_pct overrides it per row.

Output (--format): `table` for people; `json` for programs (profile, rows, vehicles,
summary; decision_rule when a rule weighs U); `csv` echoes the input columns and adds line,
error_pct, judged_error_pct, mpe_pct, lower_limit_pct, upper_limit_pct, verdict, error,
clause — and with a decision rule expanded_uncertainty_pct, coverage_factor, decision_rule,
guard_band_pct, budget.

Exit status: 0 every vehicle passes (or passes conditionally) and no row is an error; 1 a
vehicle fails, fails conditionally or is incomplete, or a row is an error; 2 usage error or
unreadable input (missing file, missing columns, empty file, bad profile, unknown stage,
bad budget file).";

const TAXIMETER_AFTER: &str = "\
DECISION RULES (ILAC-G8:2019; U = expanded uncertainty, w = R·U with R = --guard-factor):
  simple             pass inside the limits (U shown only with --uncertainty or U columns)
  guarded            pass only inside the limits narrowed by w (guarded acceptance)
  guarded-rejection  fail only beyond the limits widened by w
  non-binary         pass inside limits − w; conditional-pass between limits − w and the
                     limits; conditional-fail between the limits and limits + w; fail beyond

Examples:
  verimeter taximeter fixtures/taximeter/jjg517-installed.csv
  verimeter taximeter --stage meter fixtures/taximeter/bench-k.csv
  verimeter taximeter --profile mid-mi007 --format json fixtures/taximeter/mid-meter.csv
  verimeter taximeter --decision-rule non-binary --budget taxi-budget.json readings.csv
  verimeter taximeter --profile-file my-city.json --format csv readings.csv > judged.csv";

/// Arguments of `verimeter taximeter`.
#[derive(Debug, clap::Args)]
pub struct TaximeterArgs {
    /// Built-in taximeter profile id (see `verimeter profiles --kind taximeter`).
    #[arg(
        long,
        value_name = "ID",
        default_value = "jjg517-2016",
        conflicts_with = "profile_file"
    )]
    pub profile: String,

    /// A custom taximeter profile in JSON (e.g. edited from `verimeter profiles --kind
    /// taximeter --format json`); validated before use.
    #[arg(long, value_name = "PATH")]
    pub profile_file: Option<PathBuf>,

    /// The verification stage (JJG 517-2016: meter, installed); the profile's default stage
    /// when absent.
    #[arg(long, value_name = "STAGE")]
    pub stage: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// The decision rule and the uncertainty it weighs.
    #[command(flatten)]
    pub decision: DecisionArgs,

    /// Instead of the table, explain the row that starts on physical line N (the header is
    /// line 1) step by step, as `verimeter explain taximeter --line N` does (--format json:
    /// the steps as a JSON array).
    #[arg(long, value_name = "N")]
    pub explain: Option<u64>,

    /// No warnings on stderr (e.g. the header-only warning) and no progress bar; errors are
    /// still reported. (The bar is drawn only on a terminal, after a second.)
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// The CSV file of tests, or `-` for standard input.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// Arguments of `verimeter profiles`.
#[derive(Debug, clap::Args)]
pub struct ProfilesArgs {
    /// Output format: `table` (a summary) or `json` (the full profile objects).
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,

    /// Which profiles: dispenser, taximeter or all.
    #[arg(long, value_enum, default_value_t = Kind::All)]
    pub kind: Kind,
}

/// The kinds of profile `verimeter profiles` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// Fuel-dispenser profiles.
    Dispenser,
    /// Taximeter profiles.
    Taximeter,
    /// Both.
    All,
}

/// Output formats of `verimeter dispenser` and `verimeter taximeter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// An aligned text table of rows, then nozzles (vehicles), then a summary line.
    Table,
    /// One JSON object: profile, rows, nozzles (vehicles), summary.
    Json,
    /// The input columns echoed, then the results; one row per input row.
    Csv,
    /// `dispenser` only: JSON Lines, one object per row, then one per nozzle, then a summary
    /// (each with a "type": row, nozzle, summary).
    Jsonl,
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

    /// No warnings on stderr (the header-only warning, a profile without a fare tolerance)
    /// and no progress bar; errors are still reported. (The bar is drawn only on a
    /// terminal, after a second.)
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// The CSV trip log, or `-` for standard input.
    #[arg(value_name = "LOG")]
    pub file: PathBuf,
}
