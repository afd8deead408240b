//! Embeds `platform-migrations/` and `tenant-migrations/` into the binary, so a release binary
//! carries exactly the migrations it was built with.
//!
//! Names: the migrations that landed first are numbered `NNNN_name.sql` (0001, 0002, ... without
//! gaps); every migration after them is named by the UTC minute it was written,
//! `YYYYMMDDHHMM_name.sql`, so two branches adding migrations never pick the same name and never
//! renumber what landed. The runner keys applied migrations by name, applies every embedded one
//! a schema lacks (in name order) and refuses a landed one whose text changed. A migration's
//! `version` is its position in the list, and a schema's version is how many it has applied.

use std::fmt::Write;
use std::path::Path;

/// Whether `stamp` is a plausible `YYYYMMDDHHMM`.
fn is_stamp(stamp: &str) -> bool {
    let digits = |r: std::ops::Range<usize>| stamp.get(r).and_then(|s| s.parse::<u32>().ok());
    stamp.len() == 12
        && stamp.bytes().all(|b| b.is_ascii_digit())
        && digits(0..4).is_some_and(|y| (2026..=2200).contains(&y))
        && digits(4..6).is_some_and(|m| (1..=12).contains(&m))
        && digits(6..8).is_some_and(|d| (1..=31).contains(&d))
        && digits(8..10).is_some_and(|h| h <= 23)
        && digits(10..12).is_some_and(|m| m <= 59)
}

fn collect(dir: &str) -> String {
    println!("cargo:rerun-if-changed={dir}");
    // The variable as cargo sets it for this run, not `env!` (the value when the script was
    // compiled): a target directory copied from another checkout keeps the compiled script,
    // which would then read the other checkout's migrations.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest_dir).join(dir);
    let mut files: Vec<_> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("reading {dir}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    let mut out = String::from("&[\n");
    let mut numbered = 0;
    let mut stamped = false;
    for (i, path) in files.iter().enumerate() {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("utf-8 file name");
        let (prefix, name) = stem
            .split_once('_')
            .unwrap_or_else(|| panic!("{dir}/{stem}: expected YYYYMMDDHHMM_name.sql"));
        assert!(
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "{dir}/{stem}: the name after the prefix is lowercase words joined by `_`"
        );
        if prefix.len() == 4 {
            // The numbered migrations that landed before the scheme: contiguous, first.
            let n: i32 = prefix
                .parse()
                .unwrap_or_else(|_| panic!("{dir}/{stem}: bad number"));
            assert!(
                !stamped && n == numbered + 1,
                "{dir}/{stem}: numbered migrations are the landed prefix 0001, 0002, ... without \
                 gaps; name a new one YYYYMMDDHHMM_name.sql (the UTC minute you write it)"
            );
            numbered = n;
        } else {
            assert!(
                is_stamp(prefix),
                "{dir}/{stem}: name a new migration YYYYMMDDHHMM_name.sql (the UTC minute)"
            );
            stamped = true;
        }
        let version = i + 1;
        writeln!(
            out,
            "    EmbeddedMigration {{ version: {version}, key: {stem:?}, name: {name:?}, sql: include_str!({:?}) }},",
            path.display().to_string()
        )
        .expect("write");
    }
    out.push(']');
    out
}

fn main() {
    let platform = collect("platform-migrations");
    let tenant = collect("tenant-migrations");
    let code = format!(
        "/// Migrations of the `platform` schema.\npub static PLATFORM: &[EmbeddedMigration] = {platform};\n\
         /// Migrations applied inside every tenant schema.\npub static TENANT: &[EmbeddedMigration] = {tenant};\n"
    );
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("migrations.rs");
    std::fs::write(out, code).expect("write migrations.rs");
}
