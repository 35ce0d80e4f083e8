//! One chart of the report: error % of each judged row against flow rate (or test order),
//! with the tolerance band shaded and the points coloured by verdict, drawn by plotters'
//! SVG backend into a string that is inlined in the page.
//!
//! No user text goes into the SVG (only numbers and fixed labels); the caption with the
//! nozzle or vehicle id is HTML, escaped by the page.

use plotters::prelude::*;
use verimeter::Verdict;

/// The size of a chart, pixels (the page scales it down on narrow screens).
pub const SIZE: (u32, u32) = (440, 300);

/// One judged row on the chart.
#[derive(Debug, Clone)]
pub struct Point {
    /// Flow rate (L/min) or position in test order (1, 2, …).
    pub x: f64,
    /// The error as judged, %.
    pub y: f64,
    /// The row's lower limit, %.
    pub lower: f64,
    /// The row's upper limit, %.
    pub upper: f64,
    /// The row's verdict (its colour).
    pub verdict: Verdict,
}

/// What to draw.
#[derive(Debug, Clone)]
pub struct Chart {
    /// The x axis' description, e.g. "flow rate (L/min)".
    pub x_desc: String,
    /// The y axis' description, e.g. "error E (%)".
    pub y_desc: &'static str,
    /// Labels of the integer x positions 1, 2, … when x is an order (not a flow rate).
    pub order_labels: Option<Vec<String>>,
    /// The points.
    pub points: Vec<Point>,
}

/// The colour of a verdict, shared with the page's badges (see the CSS in `html.rs`).
pub fn colour(v: Verdict) -> RGBColor {
    match v {
        Verdict::Pass => RGBColor(30, 132, 73),
        Verdict::ConditionalPass => RGBColor(120, 150, 30),
        Verdict::ConditionalFail => RGBColor(214, 120, 0),
        Verdict::Fail => RGBColor(192, 28, 40),
        _ => RGBColor(110, 110, 110),
    }
}

const BAND: RGBColor = RGBColor(46, 160, 67);
const INK: RGBColor = RGBColor(60, 64, 72);

/// The chart as an `<svg>` element (no XML namespace attribute: it is inline HTML).
pub fn svg(chart: &Chart) -> Result<String, String> {
    let mut buf = String::new();
    draw(chart, &mut buf).map_err(|e| format!("cannot draw the chart: {e}"))?;
    Ok(buf.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1))
}

/// The x range (padded) of the points.
fn x_range(chart: &Chart) -> (f64, f64) {
    if let Some(labels) = &chart.order_labels {
        return (0.5, labels.len().max(1) as f64 + 0.5);
    }
    let (lo, hi) = bounds(chart.points.iter().map(|p| p.x));
    let pad = ((hi - lo) * 0.08).max(if hi > lo { 0.0 } else { 5.0 });
    (
        (lo - pad).max(if lo >= 0.0 { 0.0 } else { f64::MIN }),
        hi + pad,
    )
}

/// The y range: every error and every limit, with room around them.
fn y_range(chart: &Chart) -> (f64, f64) {
    let ys = chart
        .points
        .iter()
        .flat_map(|p| [p.y, p.lower, p.upper])
        .chain([0.0]);
    let (lo, hi) = bounds(ys);
    let pad = ((hi - lo) * 0.15).max(0.05);
    (lo - pad, hi + pad)
}

fn bounds(xs: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = xs
        .filter(|x| x.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        });
    if lo <= hi {
        (lo, hi)
    } else {
        (0.0, 1.0)
    }
}

type DrawResult<T> = Result<T, Box<dyn std::error::Error>>;

fn draw(chart: &Chart, buf: &mut String) -> DrawResult<()> {
    let root = SVGBackend::with_string(buf, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let (x0, x1) = x_range(chart);
    let (y0, y1) = y_range(chart);
    let mut c = ChartBuilder::on(&root)
        .margin_top(16)
        .margin_right(20)
        .margin_left(8)
        .margin_bottom(6)
        .x_label_area_size(44)
        .y_label_area_size(66)
        .build_cartesian_2d(x0..x1, y0..y1)?;

    // The tolerance band: one rectangle over the whole width when every row has the same
    // limits, else a short band at each row.
    let first = chart.points.first().map(|p| (p.lower, p.upper));
    let same = chart
        .points
        .iter()
        .all(|p| Some((p.lower, p.upper)) == first);
    let band = BAND.mix(0.14).filled();
    let edge = BAND.mix(0.7).stroke_width(1);
    if let (true, Some((lo, hi))) = (same, first) {
        c.draw_series(std::iter::once(Rectangle::new([(x0, lo), (x1, hi)], band)))?;
        for y in [lo, hi] {
            c.draw_series(DashedLineSeries::new([(x0, y), (x1, y)], 6, 4, edge))?;
        }
    } else {
        let w = (x1 - x0) * 0.035;
        c.draw_series(
            chart
                .points
                .iter()
                .map(|p| Rectangle::new([(p.x - w, p.lower), (p.x + w, p.upper)], band)),
        )?;
        c.draw_series(chart.points.iter().flat_map(|p| {
            [p.lower, p.upper].map(|y| PathElement::new([(p.x - w, y), (p.x + w, y)], edge))
        }))?;
    }

    let order = chart.order_labels.clone();
    let x_fmt = move |x: &f64| match &order {
        Some(labels) => {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 1.0 {
                labels.get(i as usize - 1).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        }
        None => {
            // Tick values are multiples of a round step; print them without float noise.
            let t = format!("{x:.3}");
            t.trim_end_matches('0').trim_end_matches('.').to_string()
        }
    };
    let y_fmt = |y: &f64| {
        let s = format!("{y:+.2}");
        if s == "-0.00" || s == "+0.00" {
            "0".into()
        } else {
            s.replace('-', "−")
        }
    };
    let n_labels = chart.order_labels.as_ref().map_or(8, |l| l.len() + 2);
    c.configure_mesh()
        .x_desc(chart.x_desc.as_str())
        .y_desc(chart.y_desc)
        .x_labels(n_labels)
        .y_labels(8)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .max_light_lines(1)
        .light_line_style(RGBColor(243, 244, 246).stroke_width(1))
        .bold_line_style(RGBColor(226, 228, 232).stroke_width(1))
        .axis_style(INK.mix(0.6).stroke_width(1))
        .label_style(("sans-serif", 15).into_font().color(&INK))
        .axis_desc_style(("sans-serif", 16).into_font().color(&INK))
        .draw()?;

    // Zero error.
    c.draw_series(LineSeries::new(
        [(x0, 0.0), (x1, 0.0)],
        INK.mix(0.45).stroke_width(1),
    ))?;
    // Limit labels, at the right end of the band.
    if let (true, Some((lo, hi))) = (same, first) {
        let style = ("sans-serif", 14).into_font().color(&BAND.mix(0.95));
        for (y, name) in [(hi, "upper"), (lo, "lower")] {
            let text = format!("{name} {} %", y_fmt(&y));
            let pos = c.backend_coord(&(x1, y));
            let dy = if name == "upper" { -16 } else { 3 };
            root.draw(&Text::new(text, (pos.0 - 104, pos.1 + dy), style.clone()))?;
        }
    }
    // The rows, coloured by verdict, with a white ring so that overlapping points show.
    c.draw_series(
        chart
            .points
            .iter()
            .map(|p| Circle::new((p.x, p.y), 6, WHITE.filled())),
    )?;
    c.draw_series(
        chart
            .points
            .iter()
            .map(|p| Circle::new((p.x, p.y), 4, colour(p.verdict).filled())),
    )?;
    root.present()?;
    Ok(())
}
