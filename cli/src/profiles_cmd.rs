//! `verimeter profiles`: the built-in profiles of both kinds, as a summary table or as full
//! JSON objects (a starting point for a custom `--profile-file`).
//!
//! JSON: one array, dispenser profiles first, then taximeter profiles; each object is the
//! library's profile with a `"kind"` field (`"dispenser"` or `"taximeter"`) put first. The
//! `--profile-file` readers accept that field (see [`read_profile_file`]), so an object can be
//! copied from this output and used as it is.

use std::path::Path;

use serde::Serialize;
use serde_json::{Map, Value};
use verimeter::profile::DispenserProfile;
use verimeter::taximeter::TaximeterProfile;

use crate::args::{Kind, ListFormat, ProfilesArgs};

/// One line of the table: kind, id, version, title, stages (name, title), default stage.
struct Summary {
    kind: &'static str,
    id: String,
    version: String,
    title: String,
    stages: Vec<(String, String)>,
    default_stage: String,
}

/// Prints the built-in profiles; returns the exit status or a fatal message.
pub fn run(args: &ProfilesArgs) -> Result<i32, String> {
    let mut objects: Vec<Value> = Vec::new();
    let mut rows: Vec<Summary> = Vec::new();
    if args.kind != Kind::Taximeter {
        for p in DispenserProfile::builtins().map_err(|e| e.to_string())? {
            objects.push(with_kind("dispenser", &p)?);
            rows.push(Summary {
                kind: "dispenser",
                stages: p
                    .stages
                    .iter()
                    .map(|s| (s.name.clone(), s.title.clone()))
                    .collect(),
                id: p.id,
                version: p.version,
                title: p.title,
                default_stage: p.default_stage,
            });
        }
    }
    if args.kind != Kind::Dispenser {
        for p in TaximeterProfile::builtins().map_err(|e| e.to_string())? {
            objects.push(with_kind("taximeter", &p)?);
            rows.push(Summary {
                kind: "taximeter",
                stages: p
                    .stages
                    .iter()
                    .map(|s| (s.name.clone(), s.title.clone()))
                    .collect(),
                id: p.id,
                version: p.version,
                title: p.title,
                default_stage: p.default_stage,
            });
        }
    }
    let text = match args.format {
        ListFormat::Json => {
            let mut s = serde_json::to_string_pretty(&objects).map_err(|e| e.to_string())?;
            s.push('\n');
            s
        }
        ListFormat::Table => table(&rows),
    };
    crate::write_stdout(text.as_bytes())?;
    Ok(0)
}

/// The profile as a JSON object with `"kind"` first.
fn with_kind(kind: &str, profile: &impl Serialize) -> Result<Value, String> {
    let mut out = Map::new();
    out.insert("kind".into(), Value::String(kind.into()));
    match serde_json::to_value(profile).map_err(|e| e.to_string())? {
        Value::Object(fields) => out.extend(fields),
        other => return Err(format!("a profile serialised to {other}, not an object")),
    }
    Ok(Value::Object(out))
}

/// One block per profile: kind, id, version, title, then its stages (`*` marks the default).
fn table(profiles: &[Summary]) -> String {
    let mut out = String::new();
    for p in profiles {
        out += &format!(
            "{}  v{}  [{}]\n  {}\n  stages:\n",
            p.id, p.version, p.kind, p.title
        );
        for (name, title) in &p.stages {
            let mark = if *name == p.default_stage { "*" } else { " " };
            out += &format!("   {mark} {name:<12} {title}\n");
        }
        out.push('\n');
    }
    out += "* default stage. Full profiles: verimeter profiles --format json\n";
    out
}

/// The text of a `--profile-file` for a command judging `kind` profiles.
///
/// A `"kind"` field (as printed by `verimeter profiles --format json`) is accepted and removed
/// when it names `kind`, and refused with a clear message when it names the other kind; a file
/// without one is passed on untouched (so the library's line/column positions stay exact).
pub fn read_profile_file(path: &Path, kind: &str) -> Result<String, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read profile file {}: {e}", path.display()))?;
    let Ok(Value::Object(mut fields)) = serde_json::from_str::<Value>(&text) else {
        return Ok(text);
    };
    match fields.remove("kind") {
        None => Ok(text),
        Some(Value::String(k)) if k == kind => {
            serde_json::to_string_pretty(&Value::Object(fields)).map_err(|e| e.to_string())
        }
        Some(other) => Err(format!(
            "{}: \"kind\" is {other}, but `verimeter {kind}` needs a {kind} profile (\"kind\": \"{kind}\")",
            path.display()
        )),
    }
}
