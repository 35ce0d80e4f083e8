//! `verimeter generate`: realistic synthetic logs for demos, tests and throughput runs.
//!
//! Written row by row through a `BufWriter` (constant memory, whatever `--rows`), and
//! deterministic for a seed: the random numbers come from a small hand-written generator
//! ([`Rng`]: SplitMix64 seeding, xorshift64* steps), never from the platform.
//!
//! Everything that is judged later is computed with the library, so that a generated log is
//! consistent with the command that reads it: the thermally corrected standard volume of a
//! draw ([`evaluate_draw`]), the amount (exact decimals, the profile's rounding), the fare of
//! a trip ([`fare_for_summary`]).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use verimeter::dispenser::{evaluate_draw, Draw, TestPoint};
use verimeter::money::Money;
use verimeter::profile::{DispenserProfile, DispenserStage};
use verimeter::tariff::{fare_for_summary, LocalDateTime, Tariff, TripSummary};

/// `verimeter generate --help`.
pub const LONG_ABOUT: &str = "\
Write a realistic synthetic log: a dispenser verification log or a taxi trip log, with
--rows data rows after the header, to standard output or --out FILE. The same --seed gives
the same bytes on every platform. Rows are written as they are made (constant memory), so
logs of any size can be generated.

dispenser: the columns of `verimeter dispenser`:
  nozzle,test_point,fuel,indicated_l,standard_l,dispenser_temp_c,can_temp_c,can_material,
  flow_l_min,unit_price,amount
Stations of 12 nozzles (S000000-N00 … S000000-N11, S000001-N00, …); each nozzle has 3 draws
at max flow (40–60 L/min) then 3 at min flow (5–8 L/min), so 72 rows per station (a
--rows that is not a multiple of 72 leaves the last nozzle short: incomplete). Each nozzle
dispenses petrol (60 %) or diesel into a stainless can. V_B (standard_l) is uniform in
19.9–20.1 L (0.001 L), t_B (can_temp_c) uniform in 5–35 °C, t_J (dispenser_temp_c) =
t_B + N(0, 1 °C) (0.1 °C). V_J (indicated_l, 0.01 L) = V_Bt × (1 + b + e), where V_Bt is
the library's thermally corrected standard volume, b the nozzle's bias (N(0, 0.1 %), and
±0.35–0.6 % for 3 % of the nozzles) and e the draw's scatter (N(0, 0.03 %)): a few % of
the rows and nozzles fail JJG 443-2015. The unit price (0.01) is the station's for the
fuel; the amount is unit price × V_J rounded exactly (decimals) as JJG 443-2015 rounds it.

trips: the columns of `verimeter trips`: trip,distance_km,duration_s,pickup,fare,rate_code
for the built-in tariff beijing-2013, rate 1: distance 1–60 km (0.01 km), mean speed
8–45 km/h, pickup any time of 2019; fare = the library's fare for the summary
(fare_for_summary), so the trips pass `verimeter trips --tariff beijing-2013`, except 2 %
whose fare is 3–10 yuan off (they fail).";

/// `verimeter generate --help`: examples.
pub const AFTER: &str = "\
Examples:
  verimeter generate dispenser --rows 720 --seed 7 > station.csv
  verimeter generate dispenser --rows 10000000 --out /tmp/big.csv
  verimeter generate trips --rows 1000 --out trips.csv
  verimeter generate dispenser --rows 2000 | verimeter dispenser --format json -";

/// Arguments of `verimeter generate`.
#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// The kind of log.
    #[command(subcommand)]
    pub kind: GenerateKind,
}

/// The kinds of log.
#[derive(Debug, clap::Subcommand)]
pub enum GenerateKind {
    /// A dispenser verification log (the columns of `verimeter dispenser`).
    #[command(after_long_help = AFTER)]
    Dispenser(GenerateOpts),
    /// A taxi trip log for the beijing-2013 tariff (the columns of `verimeter trips`).
    #[command(after_long_help = AFTER)]
    Trips(GenerateOpts),
}

/// The options of every kind.
#[derive(Debug, clap::Args)]
pub struct GenerateOpts {
    /// Data rows to write (after the header).
    #[arg(long, value_name = "N")]
    pub rows: u64,

    /// The seed: the same seed gives the same bytes.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,

    /// The file to write (created or truncated); standard output when absent.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Runs the command; the exit status is 0, or a fatal message.
pub fn run(args: &GenerateArgs) -> Result<i32, String> {
    let (opts, kind) = match &args.kind {
        GenerateKind::Dispenser(o) => (o, Kind::Dispenser),
        GenerateKind::Trips(o) => (o, Kind::Trips),
    };
    let (sink, name): (Box<dyn Write>, String) = match &opts.out {
        Some(p) => (
            Box::new(File::create(p).map_err(|e| format!("cannot create {}: {e}", p.display()))?),
            p.display().to_string(),
        ),
        None => (Box::new(io::stdout().lock()), "<stdout>".into()),
    };
    let mut w = BufWriter::with_capacity(1 << 16, sink);
    let result = match kind {
        Kind::Dispenser => dispenser(&mut w, opts.rows, opts.seed),
        Kind::Trips => trips(&mut w, opts.rows, opts.seed),
    }
    .and_then(|()| w.flush());
    match result {
        // `verimeter generate … | head`: the reader has what it wanted.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(0),
        Err(e) => Err(format!("cannot write {name}: {e}")),
        Ok(()) => Ok(0),
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Dispenser,
    Trips,
}

/// A small deterministic generator: SplitMix64 turns the seed into a non-zero state,
/// xorshift64* steps it. Plenty for synthetic data; not for cryptography.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed` (any value, 0 included).
    pub fn new(seed: u64) -> Self {
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Self(if z == 0 { 0x2545_F491_4F6C_DD1D } else { z })
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform integer in lo..=hi.
    pub fn int(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (hi - lo + 1) as u64;
        lo + (self.next_u64() % span) as i64
    }

    /// Normal with mean 0 and standard deviation `sd` (Box–Muller).
    pub fn normal(&mut self, sd: f64) -> f64 {
        let u1 = 1.0 - self.unit(); // (0, 1]
        let u2 = self.unit();
        sd * (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// Nozzles per station.
const NOZZLES: u64 = 12;
/// Draws per test point.
const DRAWS: u64 = 3;

/// One nozzle's fixed properties.
struct Nozzle {
    id: String,
    fuel: &'static str,
    bias: f64,
    unit_price: Money,
}

/// Writes the dispenser log.
fn dispenser(w: &mut impl Write, rows: u64, seed: u64) -> io::Result<()> {
    let profile = DispenserProfile::builtin("jjg443-2015").map_err(io::Error::other)?;
    let stage = profile.stage(None).map_err(io::Error::other)?;
    let mut rng = Rng::new(seed);
    writeln!(
        w,
        "nozzle,test_point,fuel,indicated_l,standard_l,dispenser_temp_c,can_temp_c,\
         can_material,flow_l_min,unit_price,amount"
    )?;
    let per_nozzle = 2 * DRAWS;
    let mut prices = (Money::ZERO, Money::ZERO);
    let mut nozzle: Option<Nozzle> = None;
    for i in 0..rows {
        let n = i / per_nozzle;
        if i % per_nozzle == 0 {
            let (station, k) = (n / NOZZLES, n % NOZZLES);
            if k == 0 {
                // The station's prices per litre: petrol 7.00–8.99, diesel 6.50–8.49.
                prices = (
                    Money::new(rng.int(700, 899), 2),
                    Money::new(rng.int(650, 849), 2),
                );
            }
            let petrol = rng.unit() < 0.6;
            let bias = if rng.unit() < 0.03 {
                let b = rng.uniform(0.0035, 0.006);
                if rng.unit() < 0.5 {
                    -b
                } else {
                    b
                }
            } else {
                rng.normal(0.001)
            };
            nozzle = Some(Nozzle {
                id: format!("S{station:06}-N{k:02}"),
                fuel: if petrol { "petrol" } else { "diesel" },
                bias,
                unit_price: if petrol { prices.0 } else { prices.1 },
            });
        }
        let Some(nz) = &nozzle else { continue };
        let max = i % per_nozzle < DRAWS;
        write_draw(w, &mut rng, nz, max, &profile, stage)?;
    }
    Ok(())
}

/// Writes one draw of `nz`.
fn write_draw(
    w: &mut impl Write,
    rng: &mut Rng,
    nz: &Nozzle,
    max: bool,
    profile: &DispenserProfile,
    stage: &DispenserStage,
) -> io::Result<()> {
    let vb_milli = rng.int(19_900, 20_100);
    let tb_tenth = rng.int(50, 350);
    let tj_tenth = tb_tenth + (rng.normal(10.0)).round() as i64;
    let flow_tenth = if max {
        rng.int(400, 600)
    } else {
        rng.int(50, 80)
    };
    let (vb, tb, tj) = (
        vb_milli as f64 / 1000.0,
        tb_tenth as f64 / 10.0,
        tj_tenth as f64 / 10.0,
    );
    let test_point = if max { TestPoint::Max } else { TestPoint::Min };
    let draw = Draw::new(test_point, vb, vb)
        .with_temperatures(tj, tb)
        .with_fuel(nz.fuel)
        .with_can_material("stainless");
    let vbt = evaluate_draw(profile, stage, &draw).map_or(vb, |r| r.corrected_standard_l);
    let e = nz.bias + rng.normal(0.0003);
    let vj_centi = (vbt * (1.0 + e) * 100.0).round() as i64;
    let vj = Money::new(vj_centi, 2);
    let product = nz.unit_price * vj;
    let amount = match &stage.amount {
        Some(rule) => rule.rounding.apply(product).unwrap_or(product.round_dp(2)),
        None => product.round_dp(2),
    };
    writeln!(
        w,
        "{},{},{},{},{},{},{},stainless,{},{},{}",
        nz.id,
        if max { "max" } else { "min" },
        nz.fuel,
        vj,
        Money::new(vb_milli, 3),
        Money::new(tj_tenth, 1),
        Money::new(tb_tenth, 1),
        Money::new(flow_tenth, 1),
        nz.unit_price,
        amount,
    )
}

/// Days per month of 2019.
const DAYS: [u8; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/// Writes the trip log.
fn trips(w: &mut impl Write, rows: u64, seed: u64) -> io::Result<()> {
    let tariff = Tariff::builtin("beijing-2013").map_err(io::Error::other)?;
    let mut rng = Rng::new(seed);
    writeln!(w, "trip,distance_km,duration_s,pickup,fare,rate_code")?;
    for i in 0..rows {
        // Distance: 1 km plus an exponential tail (mean 8 km), at most 60 km, 0.01 km.
        let tail = -8.0 * (1.0 - rng.unit()).ln();
        let km_centi = ((1.0 + tail).min(60.0) * 100.0).round() as i64;
        let speed = rng.uniform(8.0, 45.0);
        let distance_m = km_centi as f64 / 100.0 * 1000.0;
        let duration_s = (distance_m / 1000.0 / speed * 3600.0).round().max(1.0);
        let month = rng.int(1, 12) as u8;
        let day = rng.int(1, i64::from(DAYS[usize::from(month - 1)])) as u8;
        let start = LocalDateTime::new(
            2019,
            month,
            day,
            rng.int(0, 23) as u8,
            rng.int(0, 59) as u8,
            rng.int(0, 59) as u8,
        )
        .map_err(io::Error::other)?;
        let trip = TripSummary::new("1", distance_m, duration_s, start);
        let mut fare = fare_for_summary(&tariff, &trip)
            .map_err(io::Error::other)?
            .fare;
        if rng.unit() < 0.02 {
            let off = Money::from(rng.int(3, 10));
            fare = if rng.unit() < 0.5 && fare > off {
                fare - off
            } else {
                fare + off
            };
        }
        writeln!(
            w,
            "T{:09},{},{},{},{},1",
            i + 1,
            Money::new(km_centi, 2),
            duration_s,
            start,
            fare
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_deterministic_and_uniform_enough() {
        let a: Vec<u64> = (0..5)
            .scan(Rng::new(42), |r, _| Some(r.next_u64()))
            .collect();
        let b: Vec<u64> = (0..5)
            .scan(Rng::new(42), |r, _| Some(r.next_u64()))
            .collect();
        assert_eq!(a, b);
        let mut r = Rng::new(0);
        let mean = (0..10_000).map(|_| r.unit()).sum::<f64>() / 10_000.0;
        assert!((mean - 0.5).abs() < 0.02, "{mean}");
        let sd = ((0..10_000).map(|_| r.normal(1.0).powi(2)).sum::<f64>() / 10_000.0).sqrt();
        assert!((sd - 1.0).abs() < 0.05, "{sd}");
        assert!((0..1000).map(|_| r.int(3, 5)).all(|k| (3..=5).contains(&k)));
    }
}
