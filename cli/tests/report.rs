//! `verimeter report`: the HTML page — summary counts, groups failing first, one inline SVG
//! chart per group with the tolerance band, escaped user text, no external resources, exit
//! statuses as the judging commands. (No browser needed: scripts/render-report.sh renders
//! the page with headless Chromium.)

mod common;

use std::path::PathBuf;

use common::{code, fixture, run, stderr, stdout, temp_file, Dir};

/// Runs `verimeter report ARGS --out DIR` (DIR in a fresh temporary directory, removed
/// afterwards) and returns the exit status and index.html.
fn report(name: &str, args: &[&str]) -> (i32, String, String) {
    let tmp = Dir::new(&format!("report-{name}"));
    let dir = PathBuf::from(tmp.path("out"));
    let mut a = vec!["report", "--date", "2026-05-12"];
    a.extend_from_slice(args);
    a.extend_from_slice(&["--out", dir.to_str().expect("utf-8")]);
    let o = run(&a);
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap_or_default();
    (code(&o), html, format!("{}{}", stdout(&o), stderr(&o)))
}

/// The position of `needle` in `hay`, or a panic naming it.
fn at(hay: &str, needle: &str) -> usize {
    hay.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in the page"))
}

/// No external resource: no URL in src/href/url(), no @import, no script.
fn assert_self_contained(html: &str) {
    for bad in [
        "http://", "https://", "src=", "@import", "url(", "<script", "<link", "<iframe",
    ] {
        assert!(!html.contains(bad), "{bad:?} in the page");
    }
}

#[test]
fn station_report_has_summary_failing_first_charts_and_band() {
    let file = fixture("dispenser", "jjg443-station.csv");
    let (code, html, out) = report("station", &[&file]);
    assert_eq!(code, 1, "N2/N3 fail, N4 incomplete: {out}");
    assert!(out.contains("index.html"), "{out}");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("2026-05-12"));
    // Profile: id, version, stage, sources.
    assert!(html.contains("jjg443-2015"));
    assert!(html.contains("v1.0.0"));
    assert!(html.contains("subsequent"));
    assert!(html.contains("GB/T 8170-2008"));
    // Summary counts (they add up: 25 = 17 + 4 + 4; 4 = 1 + 2 + 1).
    assert!(
        html.contains(
            "nozzles: 4 (1 pass, 2 fail, 1 incomplete) · rows: 25 (17 pass, 4 fail, 4 error)"
        ),
        "summary line"
    );
    // Nozzles failing first: N2, N3 (fail, file order), N4 (incomplete), N1 (pass).
    let sections = html.split("<article").skip(1).collect::<Vec<_>>();
    assert_eq!(sections.len(), 4);
    let ids: Vec<&str> = ["Nozzle N2 ", "Nozzle N3 ", "Nozzle N4 ", "Nozzle N1 "].to_vec();
    let pos: Vec<usize> = ids.iter().map(|id| at(&html, id)).collect();
    assert!(pos.windows(2).all(|w| w[0] < w[1]), "{pos:?}");
    for (s, v) in sections.iter().zip(["fail", "fail", "incomplete", "pass"]) {
        assert!(s.contains(&format!("data-verdict=\"{v}\"")), "{v}");
    }
    // One chart per nozzle, inline, against flow rate, with the band and its limits.
    assert_eq!(html.matches("<svg").count(), 4);
    for s in &sections {
        assert_eq!(s.matches("<svg").count(), 1);
        assert!(s.contains("flow rate Q (L/min)"));
        assert!(s.contains("upper +0.30 %"));
        assert!(s.contains("lower −0.30 %"));
        assert!(s.contains("tolerance band"));
    }
    // The band: a translucent filled rectangle.
    assert!(html.contains("<rect") && html.contains("opacity=\"0.14\""));
    // Draws: line, test point, V_J, V_Bt, E, limits, verdict; the error rows with reasons.
    assert!(html.contains("<th>V_Bt (L)</th>"));
    assert!(html.contains("+0.419"));
    assert!(html.contains("±0.3"));
    assert!(html.contains("indicated_l: must be &gt; 0, got -20"));
    // Bad rows listed with line and reason.
    assert!(html.contains("Rows that could not be judged (4)"));
    for line in [11, 19, 25, 26] {
        assert!(
            html.contains(&format!("<span class=\"ln\">line {line}</span>")),
            "{line}"
        );
    }
    assert!(html.contains("unknown fuel"));
    assert_self_contained(&html);
}

#[test]
fn user_text_is_escaped() {
    let csv = "nozzle,test_point,indicated_l,standard_l,flow_l_min\n\
               <b>&,max,20.00,20.01,40\n\
               <b>&,max,20.01,20.01,40\n\
               \"<script>alert(1)</script>\",max,20.00,oops,40\n";
    let file = temp_file("escape.csv", csv);
    let (code, html, _) = report("escape", &[&file, "--title", "Station \"<i>17</i>\" & co"]);
    assert_eq!(code, 1);
    assert!(html.contains("Nozzle &lt;b&gt;&amp; "));
    assert!(!html.contains("<b>&"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<script"));
    assert!(html.contains("<title>Station &quot;&lt;i&gt;17&lt;/i&gt;&quot; &amp; co</title>"));
    assert!(html.contains("standard_l: not a number: &quot;oops&quot;"));
    assert_self_contained(&html);
}

#[test]
fn without_flow_rates_the_chart_says_test_point_order() {
    let file = fixture("dispenser", "worked-examples.csv");
    let (code, html, _) = report("worked", &[&file]);
    assert_eq!(code, 1);
    assert_eq!(html.matches("<svg").count(), 2);
    assert!(html.contains("no flow_l_min: draws in test-point order"));
    // F1 fails, F2 is incomplete.
    assert!(at(&html, "Nozzle F1 ") < at(&html, "Nozzle F2 "));
    assert_self_contained(&html);
}

#[test]
fn passing_station_exits_0() {
    let csv = "nozzle,test_point,indicated_l,standard_l,flow_l_min\n\
               P,max,20.00,20.00,40\nP,max,20.01,20.00,40\nP,max,20.00,20.01,40\n\
               P,min,20.00,20.00,5\nP,min,20.01,20.00,5\nP,min,20.00,20.01,5\n";
    let file = temp_file("pass.csv", csv);
    let (code, html, out) = report("pass", &[&file]);
    assert_eq!(code, 0, "{out}");
    assert!(html.contains("data-verdict=\"pass\""));
    assert!(html.contains("Rows that could not be judged (0)"));
}

#[test]
fn fleet_report_for_taximeters() {
    let file = fixture("taximeter", "jjg517-installed.csv");
    let (code, html, _) = report("fleet", &["--kind", "taximeter", &file]);
    assert_eq!(code, 1);
    assert!(html.contains("Fleet report"));
    assert!(html.contains("jjg517-2016"));
    assert!(html.contains(
        "vehicles: 5 (2 pass, 2 fail, 1 incomplete) · rows: 7 (4 pass, 2 fail, 1 error)"
    ));
    // AB-1002, AB-1004 fail; AB-1005 incomplete; AB-1001, AB-1003 pass.
    let order = ["AB-1002 ", "AB-1004 ", "AB-1005 ", "AB-1001 ", "AB-1003 "]
        .map(|v| at(&html, &format!("Vehicle {v}")));
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    assert_eq!(html.matches("<svg").count(), 5);
    assert!(html.contains("error δ (%)"));
    assert!(html.contains("−4 … +1"), "the asymmetric limits");
    assert!(html.contains("calibration: mean distance error"));
    assert_self_contained(&html);
}

#[test]
fn usage_errors_exit_2() {
    let file = fixture("dispenser", "jjg443-station.csv");
    let (code, _, out) = report("bad-profile", &[&file, "--profile", "no-such"]);
    assert_eq!(code, 2);
    assert!(out.contains("jjg443-2015"), "the known profiles: {out}");
    let (code, _, out) = report("missing", &[&fixture("dispenser", "missing-columns.csv")]);
    assert_eq!(code, 2);
    assert!(out.contains("missing required column"), "{out}");
    let o = run(&["report", &file]);
    assert_eq!(common::code(&o), 2, "--out is required");
}
