//! Embeds `platform-migrations/` and `tenant-migrations/` into the binary, so a release binary
//! carries exactly the migrations it was built with.

use std::fmt::Write;
use std::path::Path;

fn collect(dir: &str) -> String {
    println!("cargo:rerun-if-changed={dir}");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<_> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("reading {dir}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    let mut out = String::from("&[\n");
    let mut last = 0;
    for path in files {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("utf-8 file name");
        let (num, name) = stem
            .split_once('_')
            .unwrap_or_else(|| panic!("{dir}/{stem}: expected NNNN_name.sql"));
        let version: i32 = num
            .parse()
            .unwrap_or_else(|_| panic!("{dir}/{stem}: bad number"));
        // Contiguous: the tenant runner applies only versions above a tenant's current one, so
        // a number filled in later would be skipped by every tenant already past it.
        assert!(
            version == last + 1,
            "{dir}/{stem}: migrations are numbered 1, 2, 3, ... without gaps (expected {})",
            last + 1
        );
        last = version;
        writeln!(
            out,
            "    EmbeddedMigration {{ version: {version}, name: {name:?}, sql: include_str!({:?}) }},",
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
