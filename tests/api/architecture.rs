//! Rules the compiler cannot check alone: domain code never reaches the pool.

use std::path::Path;

fn visit(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            visit(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push((
                path.display().to_string(),
                std::fs::read_to_string(&path).expect("read"),
            ));
        }
    }
}

#[test]
fn domains_never_touch_the_pool_or_platform_sql() {
    let mut files = Vec::new();
    visit(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src/domains"),
        &mut files,
    );
    assert!(!files.is_empty());
    for (path, text) in files {
        for forbidden in [
            "platform()",
            "PgPool",
            "raw_connection",
            "platform.",
            "search_path",
            "db::Db",
        ] {
            assert!(
                !text.contains(forbidden),
                "{path} mentions `{forbidden}`: domains get a TenantTx only"
            );
        }
    }
}
