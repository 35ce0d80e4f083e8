//! `verimeter profiles`: the built-in profiles, as a summary table or as full JSON objects
//! (a starting point for a custom `--profile-file`).

use verimeter::profile::DispenserProfile;

use crate::args::{ListFormat, ProfilesArgs};

/// Prints the built-in profiles; returns the exit status or a fatal message.
pub fn run(args: &ProfilesArgs) -> Result<i32, String> {
    let profiles = DispenserProfile::builtins().map_err(|e| e.to_string())?;
    let text = match args.format {
        ListFormat::Json => {
            let mut s = serde_json::to_string_pretty(&profiles).map_err(|e| e.to_string())?;
            s.push('\n');
            s
        }
        ListFormat::Table => table(&profiles),
    };
    crate::write_stdout(text.as_bytes())?;
    Ok(0)
}

/// One block per profile: id, version, title, then its stages (`*` marks the default).
fn table(profiles: &[DispenserProfile]) -> String {
    let mut out = String::new();
    for p in profiles {
        out += &format!("{}  v{}\n  {}\n  stages:\n", p.id, p.version, p.title);
        for s in &p.stages {
            let mark = if s.name == p.default_stage { "*" } else { " " };
            out += &format!("   {mark} {:<12} {}\n", s.name, s.title);
        }
        out.push('\n');
    }
    out += "* default stage. Full profiles: verimeter profiles --format json\n";
    out
}
