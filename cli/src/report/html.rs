//! The HTML page of `verimeter report`: one self-contained document (inline CSS, inline
//! SVG, no script, no external resource). Every text that comes from the input or a profile
//! goes through [`esc`].

use std::fmt::Write;

use verimeter::Verdict;

/// A table cell: its text and whether it is a number (right-aligned).
#[derive(Debug, Clone)]
pub struct Cell {
    text: String,
    numeric: bool,
}

impl Cell {
    /// A number cell.
    pub fn num(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            numeric: true,
        }
    }

    /// A text cell.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            numeric: false,
        }
    }
}

/// One row of a group's table: judged (cells + verdict) or an error (first cells + message).
#[derive(Debug, Clone)]
pub struct TableRow {
    pub cells: Vec<Cell>,
    pub verdict: Option<Verdict>,
    pub error: Option<String>,
}

/// One nozzle or vehicle.
#[derive(Debug, Clone)]
pub struct Group {
    pub id: String,
    pub verdict: Verdict,
    pub reasons: Vec<String>,
    /// Short facts: per test point errors and repeatability, calibration suggestion.
    pub facts: Vec<String>,
    pub table: Vec<TableRow>,
    /// The chart (an `<svg>` element), when the group has a judged row.
    pub svg: Option<String>,
    pub chart_caption: String,
}

/// The profile judged against.
#[derive(Debug, Clone)]
pub struct ProfileInfo {
    pub id: String,
    pub version: String,
    pub title: String,
    pub stage: String,
    pub stage_title: String,
    pub sources: Vec<String>,
    pub decision: Option<String>,
}

/// The summary counts of groups or rows.
#[derive(Debug, Clone)]
pub struct Counts {
    /// (verdict name, count), the "other" count apart.
    pub by_verdict: Vec<(&'static str, usize)>,
    /// (name, count) of those with no verdict.
    pub other: (&'static str, usize),
    pub total: usize,
    /// The one-line summary (`tally::line`).
    pub line: String,
}

/// Everything on the page.
#[derive(Debug, Clone)]
pub struct Page {
    pub title: String,
    pub date: String,
    pub file: String,
    pub profile: ProfileInfo,
    pub group_noun: &'static str,
    pub group_noun_plural: &'static str,
    /// The counts of the groups (nozzles, vehicles); their "other" is "incomplete".
    pub group_counts: Counts,
    /// The counts of the rows read; their "other" is "error".
    pub row_counts: Counts,
    pub columns: Vec<&'static str>,
    /// Failing first.
    pub groups: Vec<Group>,
    /// (line, reason) of every row that could not be judged.
    pub bad_rows: Vec<(u64, String)>,
}

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const CSS: &str = r#"
:root{--ink:#23272f;--muted:#5d6470;--line:#e3e6ea;--bg:#f6f7f9;--card:#fff;
--pass:#1e8449;--cpass:#78961e;--cfail:#d67800;--fail:#c01c28;--inc:#6e6e6e;--band:#2ea043}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:28px 32px 48px}
header.top{border-bottom:3px solid var(--ink);padding-bottom:14px;margin-bottom:20px}
h1{font-size:26px;margin:0 0 6px;letter-spacing:-.01em}
.meta{color:var(--muted);margin:0}
.meta b{color:var(--ink);font-weight:600}
h2{font-size:18px;margin:28px 0 12px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin-bottom:16px}
.profile dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}
.profile dt{color:var(--muted)}
.profile dd{margin:0}
.profile ul{margin:4px 0 0;padding-left:18px;color:var(--muted)}
.tiles{display:flex;flex-wrap:wrap;gap:10px;margin:6px 0 4px}
.tile{flex:1 1 110px;border:1px solid var(--line);border-radius:8px;padding:10px 12px;background:var(--card);border-top:4px solid var(--inc)}
.tile .n{font-size:26px;font-weight:700;line-height:1.1}
.tile .l{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.tile.total{border-top-color:var(--ink)}
.tile.pass{border-top-color:var(--pass)}.tile.conditional-pass{border-top-color:var(--cpass)}
.tile.conditional-fail{border-top-color:var(--cfail)}.tile.fail{border-top-color:var(--fail)}
.tile.zero .n{color:#b8bdc5}
.sumline{color:var(--muted);margin:8px 0 0}
.index{margin:0;padding:0;list-style:none;display:flex;flex-wrap:wrap;gap:8px}
.index li{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:4px 10px}
.index a{color:var(--ink);text-decoration:none;font-weight:600}
.badge{display:inline-block;padding:2px 10px;border-radius:999px;color:#fff;font-size:12px;font-weight:700;letter-spacing:.03em;text-transform:uppercase;vertical-align:middle;background:var(--inc)}
.badge.pass{background:var(--pass)}.badge.conditional-pass{background:var(--cpass)}
.badge.conditional-fail{background:var(--cfail)}.badge.fail{background:var(--fail)}
.badge.error{background:var(--inc)}
article.group{background:var(--card);border:1px solid var(--line);border-left:6px solid var(--inc);border-radius:8px;padding:16px 20px;margin-bottom:18px;break-inside:avoid}
article.group.pass{border-left-color:var(--pass)}article.group.conditional-pass{border-left-color:var(--cpass)}
article.group.conditional-fail{border-left-color:var(--cfail)}article.group.fail{border-left-color:var(--fail)}
article.group h3{font-size:19px;margin:0 0 8px;display:flex;align-items:center;gap:10px}
.reasons{margin:0 0 10px;padding-left:20px}
.reasons li{margin:2px 0}
.facts{margin:0 0 12px;padding:0;list-style:none;color:var(--muted);font-size:13px}
.body{display:grid;grid-template-columns:minmax(0,440px) minmax(0,1fr);gap:16px;align-items:start}
.rows{overflow-x:auto}
@media (max-width:1000px){.body{grid-template-columns:1fr}}
figure{margin:0}
figure svg{display:block;width:100%;height:auto;border:1px solid var(--line);border-radius:6px}
figcaption{color:var(--muted);font-size:12px;margin-top:6px}
.legend{display:flex;flex-wrap:wrap;gap:4px 10px;font-size:11.5px;color:var(--muted);margin-top:4px}
.legend i{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:4px;vertical-align:-1px}
.legend i.band{border-radius:2px;background:rgba(46,160,67,.25);border:1px dashed var(--band)}
table{border-collapse:collapse;width:100%;font-size:12.5px}
th,td{padding:4px 6px;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap}
th{color:var(--muted);font-weight:600;background:#fafbfc}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.err td{background:#fbf3f3}
td.msg{white-space:normal;color:#7a1f26}
td .badge{font-size:10.5px;padding:1px 7px}
.bad li{margin:3px 0}
.bad .ln{font-variant-numeric:tabular-nums;font-weight:600}
footer{color:var(--muted);font-size:12px;margin-top:28px;border-top:1px solid var(--line);padding-top:10px}
@media print{body{background:#fff}.card,article.group{border-color:#ccc}}
"#;

/// The whole page.
pub fn render(p: &Page) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"verimeter {}\">\n<title>{}</title>\n<style>{CSS}</style>\n\
         </head>\n<body>\n<main>\n",
        env!("CARGO_PKG_VERSION"),
        esc(&p.title)
    );
    let _ = writeln!(
        h,
        "<header class=\"top\"><h1>{}</h1><p class=\"meta\">Generated <b>{}</b> from <b>{}</b> \
         by verimeter {}</p></header>",
        esc(&p.title),
        esc(&p.date),
        esc(&p.file),
        env!("CARGO_PKG_VERSION")
    );
    profile(&mut h, p);
    summary(&mut h, p);
    let _ = writeln!(
        h,
        "<h2>{}{} — failing first</h2>",
        p.group_noun_plural[..1].to_uppercase(),
        &p.group_noun_plural[1..]
    );
    if p.groups.is_empty() {
        let _ = writeln!(
            h,
            "<p class=\"card\">No {} in the file.</p>",
            p.group_noun_plural
        );
    }
    for (i, g) in p.groups.iter().enumerate() {
        group(&mut h, p, i, g);
    }
    bad_rows(&mut h, p);
    let _ = write!(
        h,
        "<footer>Verdicts follow the profile's clauses as cited; a nozzle's or vehicle's \
         verdict is the worst of its rows (fail &gt; conditional-fail &gt; incomplete &gt; \
         conditional-pass &gt; pass). Details of any row: <code>verimeter explain {} --line N \
         FILE</code>.</footer>\n</main>\n</body>\n</html>\n",
        if p.group_noun == "nozzle" {
            "dispenser"
        } else {
            "taximeter"
        }
    );
    h
}

fn profile(h: &mut String, p: &Page) {
    let pr = &p.profile;
    let _ = write!(
        h,
        "<section class=\"card profile\"><dl>\
         <dt>Profile</dt><dd><b>{}</b> v{} — {}</dd>\
         <dt>Stage</dt><dd><b>{}</b>{}</dd>",
        esc(&pr.id),
        esc(&pr.version),
        esc(&pr.title),
        esc(&pr.stage),
        if pr.stage_title.is_empty() {
            String::new()
        } else {
            format!(" — {}", esc(&pr.stage_title))
        }
    );
    if let Some(d) = &pr.decision {
        let _ = write!(h, "<dt>Decision</dt><dd>{}</dd>", esc(d));
    }
    if !pr.sources.is_empty() {
        let _ = write!(h, "<dt>Sources</dt><dd><ul>");
        for s in &pr.sources {
            let _ = write!(h, "<li>{}</li>", esc(s));
        }
        let _ = write!(h, "</ul></dd>");
    }
    let _ = writeln!(h, "</dl></section>");
}

fn tiles(h: &mut String, noun: &str, c: &Counts) {
    let total = c.total;
    let _ = write!(
        h,
        "<div class=\"tiles\"><div class=\"tile total\"><div class=\"n\">{total}</div>\
         <div class=\"l\">{noun}</div></div>"
    );
    let mut all: Vec<(&str, usize)> = c.by_verdict.clone();
    all.insert(2, c.other);
    for (name, n) in all {
        let _ = write!(
            h,
            "<div class=\"tile {name}{}\"><div class=\"n\">{n}</div><div class=\"l\">{name}</div></div>",
            if n == 0 { " zero" } else { "" }
        );
    }
    let _ = write!(h, "</div>");
}

fn summary(h: &mut String, p: &Page) {
    let _ = write!(h, "<h2>Summary</h2><section class=\"card summary\">");
    tiles(h, p.group_noun_plural, &p.group_counts);
    tiles(h, "rows read", &p.row_counts);
    let _ = write!(
        h,
        "<p class=\"sumline\" id=\"summary-line\">{}: {} · rows: {}</p>",
        esc(p.group_noun_plural),
        esc(&p.group_counts.line),
        esc(&p.row_counts.line)
    );
    if !p.groups.is_empty() {
        let _ = write!(h, "<ul class=\"index\">");
        for (i, g) in p.groups.iter().enumerate() {
            let v = g.verdict.as_str();
            let _ = write!(
                h,
                "<li><a href=\"#g{i}\">{}</a> <span class=\"badge {v}\">{v}</span></li>",
                esc(&g.id)
            );
        }
        let _ = write!(h, "</ul>");
    }
    let _ = writeln!(h, "</section>");
}

fn group(h: &mut String, p: &Page, i: usize, g: &Group) {
    let v = g.verdict.as_str();
    let _ = write!(
        h,
        "<article class=\"group {v}\" id=\"g{i}\" data-verdict=\"{v}\">\
         <h3>{} {} <span class=\"badge {v}\">{v}</span></h3>",
        p.group_noun[..1].to_uppercase() + &p.group_noun[1..],
        esc(&g.id)
    );
    if !g.reasons.is_empty() {
        let _ = write!(h, "<ul class=\"reasons\">");
        for r in &g.reasons {
            let _ = write!(h, "<li>{}</li>", esc(r));
        }
        let _ = write!(h, "</ul>");
    }
    if !g.facts.is_empty() {
        let _ = write!(h, "<ul class=\"facts\">");
        for f in &g.facts {
            let _ = write!(h, "<li>{}</li>", esc(f));
        }
        let _ = write!(h, "</ul>");
    }
    let _ = write!(h, "<div class=\"body\">");
    match &g.svg {
        Some(svg) => {
            let _ = write!(
                h,
                "<figure>{svg}<div class=\"legend\"><span><i class=\"band\"></i>tolerance band</span>\
                 <span><i style=\"background:var(--pass)\"></i>pass</span>\
                 <span><i style=\"background:var(--cpass)\"></i>conditional-pass</span>\
                 <span><i style=\"background:var(--cfail)\"></i>conditional-fail</span>\
                 <span><i style=\"background:var(--fail)\"></i>fail</span></div>\
                 <figcaption>{} {}: {}</figcaption></figure>",
                p.group_noun,
                esc(&g.id),
                esc(&g.chart_caption)
            );
        }
        None => {
            let _ = write!(
                h,
                "<figure><figcaption>No judged row: nothing to plot.</figcaption></figure>"
            );
        }
    }
    let _ = write!(h, "<div class=\"rows\"><table><thead><tr>");
    for c in &p.columns {
        let _ = write!(h, "<th>{}</th>", esc(c));
    }
    let _ = write!(h, "</tr></thead><tbody>");
    let width = p.columns.len();
    for row in &g.table {
        match &row.error {
            None => {
                let _ = write!(h, "<tr>");
                for c in &row.cells {
                    let _ = write!(
                        h,
                        "<td{}>{}</td>",
                        if c.numeric { " class=\"num\"" } else { "" },
                        esc(&c.text)
                    );
                }
                let v = row.verdict.map_or("error", Verdict::as_str);
                let _ = write!(h, "<td><span class=\"badge {v}\">{v}</span></td></tr>");
            }
            Some(msg) => {
                let _ = write!(h, "<tr class=\"err\">");
                for c in &row.cells {
                    let _ = write!(
                        h,
                        "<td{}>{}</td>",
                        if c.numeric { " class=\"num\"" } else { "" },
                        esc(&c.text)
                    );
                }
                let span = width.saturating_sub(row.cells.len() + 1).max(1);
                let _ = write!(
                    h,
                    "<td class=\"msg\" colspan=\"{span}\">{}</td>\
                     <td><span class=\"badge error\">error</span></td></tr>",
                    esc(msg)
                );
            }
        }
    }
    let _ = writeln!(h, "</tbody></table></div></div></article>");
}

fn bad_rows(h: &mut String, p: &Page) {
    let _ = write!(
        h,
        "<h2>Rows that could not be judged ({})</h2><section class=\"card bad\">",
        p.bad_rows.len()
    );
    if p.bad_rows.is_empty() {
        let _ = write!(h, "<p>None: every row was judged.</p>");
    } else {
        let _ = write!(h, "<ul>");
        for (line, reason) in &p.bad_rows {
            let _ = write!(
                h,
                "<li><span class=\"ln\">line {line}</span>: {}</li>",
                esc(reason)
            );
        }
        let _ = write!(h, "</ul>");
    }
    let _ = writeln!(h, "</section>");
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(esc("<b>&\"'x"), "&lt;b&gt;&amp;&quot;&#39;x");
    }
}
