//! The long help of `verimeter trips` (kept apart from `args.rs` so that it can grow without
//! touching the other commands' declarations).

/// `verimeter trips --help`: what the command reads, decides and writes.
pub const LONG: &str = "\
Validate the fares of a trip log against a tariff: for each trip, the tariff's nominal fare
and the lowest and highest fares its summary allows; a logged fare outside them fails.

--tariff takes a JSON tariff file (the format of fixtures/tariffs/*.json); when no file
exists at that path it is taken as a built-in tariff id: beijing-2013, shanghai-2015,
nyc-yellow-2019.

Input: a CSV file with a header row; columns in any order, header names trimmed and
case-insensitive, `#` lines are comments, other columns echoed to the output.
  required  distance_km, or distance_mi (statute miles)      [TLC: trip_distance]
            duration_s, or pickup and dropoff                 [TLC: tpep_pickup_datetime,
                                                               tpep_dropoff_datetime]
            fare: the metered fare, an exact decimal          [TLC: fare_amount]
  optional  trip: an id (default: the line number)
            rate_code: the tariff's rate (default: its first) [TLC: RatecodeID; 1.0 = 1]
            waiting_s: seconds spent below the switching speed, if the log knows it
            pickup with duration_s: the start of the hire
            color: a row whose colour is not a word of the tariff's id or title (e.g.
              green under nyc-yellow-2019) is skipped as out of scope
            extra, mta_tax, improvement_surcharge, congestion_surcharge: surcharges
              checked against the tariff's extras (state tax, improvement surcharge,
              congestion surcharge: 0 or its amount; extra = any sum of the time-of-day
              extras in force at some time of the hire, from 5 min before pickup to
              drop-off, and of the conditional extras, as one NYC vendor folds the
              congestion surcharge into extra). Only clearly inconsistent values are
              reported, and only where the rate defines the extra; findings are listed
              apart (surcharge_findings) and never change the verdict.
Timestamps: YYYY-MM-DD HH:MM:SS (or with T) local time, or RFC 3339 with fractional
seconds (ignored) and an offset: the local clock time written is used for the tariff's
time windows; the duration is taken on the UTC time line when both stamps carry an offset.
Without pickup, the hire is taken to start on Wednesday 2019-03-06 10:00:00 (no night or
peak window of the built-in tariffs). An empty cell is an absent value.

Judgement: the trip summary (distance, duration, waiting time if given) gives the nominal
fare (uniform speed) and the bounds: minimum = the distance alone, maximum = the whole
duration charged as time besides the whole distance and every conditional extra. Summary
logs are judged by these bounds: `pass` inside, `fail` below the minimum or above the
maximum, with by how much. error_pct is (fare − nominal)/nominal in %, for information.
With --profile (a taximeter profile whose stage has a fare tolerance, e.g. mid-mi007:
±0.1 %, at least one display digit) the bounds are widened by that tolerance and the fare
is also judged against the nominal fare (check_fare): meaningful only for exact (metered,
series) data, where the nominal fare is the meter's; a summary log will mostly fail it.
Rows whose rate code the tariff lacks (e.g. NYC 4, 5 negotiated, 99) and rows out of the
tariff's colour are `skipped` with the reason, whatever their other cells. A row that cannot
be read is an error naming the line, the column and the value; it never stops the others.
rows = rows_pass + rows_fail + rows_skipped + rows_error.

Output (--format): `table` for people; `json` for programs: {tariff: {id, version, title,
currency}, rows: [{line, trip, rate_code, distance_km, duration_s, start, fare,
expected_fare, minimum_fare, maximum_fare, error_pct, verdict, reason, surcharge_findings,
extra} | {line, trip, rate_code, verdict: skipped, reason, extra} | {line, trip, error,
extra}], summary: {rows, rows_pass, rows_fail, rows_error, rows_skipped,
rows_with_surcharge_findings}} with money as exact decimal strings; `csv` echoes the input
columns and adds line, rate_code_used, distance_km_used, duration_s_used, expected_fare,
minimum_fare, maximum_fare, error_pct, verdict, reason, error, surcharge_findings — one row
per input row.

Exit status: 0 no trip fails and no row is an error (skipped rows allowed); 1 a trip fails
or a row is an error; 2 usage error or unreadable input (missing file, missing columns,
empty file, unknown tariff, invalid tariff JSON, unknown profile or stage).";

/// Examples, after the flags.
pub const AFTER: &str = "\
Examples:
  verimeter trips --tariff beijing-2013 fixtures/trips/beijing-2013.csv
  verimeter trips --tariff fixtures/tariffs/shanghai-2015.json --format json fixtures/trips/shanghai-2015.csv
  verimeter trips --tariff nyc-yellow-2019 --profile mid-mi007 fixtures/trips/nyc-yellow-2019.csv
  verimeter trips --tariff nyc-yellow-2019 --format csv ../shared/data/nyc-tlc-trips-2019-03-sample.csv > judged.csv

A minimal log:
  trip,distance_km,pickup,dropoff,fare
  b1,10,2019-03-06 10:00:00,2019-03-06 10:15:00,30";
