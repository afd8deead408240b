//! The rules of the domain kit that the compiler cannot check alone: domain code never reaches
//! the pool, platform SQL or `api.rs`; a domain uses another only through that domain's public
//! interface (`service`, its manifest constants) and no two domains need each other; the kernel
//! imports nothing above it.

use std::collections::{BTreeMap, BTreeSet};
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

fn sources(under: &str) -> Vec<(String, String)> {
    let mut files = Vec::new();
    visit(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join(under),
        &mut files,
    );
    assert!(!files.is_empty(), "no sources under {under}");
    files
}

/// The domain folder a file under `src/domains` belongs to (`None` for `mod.rs`, `planned.rs`).
fn domain_of(path: &str) -> Option<String> {
    let rest = path.split("src/domains/").nth(1)?;
    let (dir, _) = rest.split_once('/')?;
    Some(dir.to_owned())
}

/// Every `crate::domains::<name>::<item>` a text names, as (name, item).
fn domain_references(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices("crate::domains::") {
        let rest = &text[i + "crate::domains::".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let after = &rest[name.len()..];
        let item: String = after
            .strip_prefix("::")
            .unwrap_or("")
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '{')
            .collect();
        out.push((name, item));
    }
    out
}

#[test]
fn domains_never_touch_the_pool_platform_sql_or_the_assembly() {
    for (path, text) in sources("src/domains") {
        for forbidden in [
            "platform()",
            "PgPool",
            "raw_connection",
            ".db()",
            "Db::connect",
            "sqlx::Pool",
            "platform.",
            "search_path",
            "db::Db",
            "crate::db",
            "crate::api",
            "crate::platform",
            "crate::billing",
        ] {
            assert!(
                !text.contains(forbidden),
                "{path} mentions `{forbidden}`: domains get a TenantTx only, and never the assembly"
            );
        }
    }
}

#[test]
fn domains_use_each_other_only_through_their_public_interface_and_one_way() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, text) in sources("src/domains") {
        let Some(me) = domain_of(&path) else { continue };
        for (other, item) in domain_references(&text) {
            if other == me || other.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
                continue; // its own modules, or `crate::domains::CATALOG`
            }
            let public = item == "service"
                || item == "Tag"
                || (!item.is_empty()
                    && item
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit()));
            assert!(
                public,
                "{path} reaches into `crate::domains::{other}::{item}`: use `{other}::service` \
                 (or its manifest constants)"
            );
            graph.entry(me.clone()).or_default().insert(other);
        }
    }
    for (a, uses) in &graph {
        for b in uses {
            assert!(
                !graph.get(b).is_some_and(|back| back.contains(a)),
                "domains `{a}` and `{b}` need each other: one must call the other's service"
            );
        }
    }
}

/// The host (`src/host`) sits below the domains: it receives what it needs of them (the
/// catalogue of manifests) as a value, and never imports them, the assembly or the command line.
#[test]
fn the_host_imports_no_domain_and_not_the_assembly() {
    for (path, text) in sources("src/host") {
        for forbidden in [
            "crate::domains",
            "crate::api",
            "crate::cli",
            "crate::build_state",
        ] {
            let code = text
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .any(|l| l.contains(forbidden));
            assert!(
                !code,
                "{path} imports `{forbidden}`: the host sits below the domains and the assembly"
            );
        }
    }
}

#[test]
fn the_kernel_imports_nothing_above_it() {
    for (path, text) in sources("src/kernel") {
        let code: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        for (i, _) in code.match_indices("crate::") {
            let rest = &code[i + "crate::".len()..];
            assert!(
                rest.starts_with("kernel::"),
                "{path} imports `crate::{}`: the kernel sits below every other module",
                rest.chars().take(30).collect::<String>()
            );
        }
    }
}

/// The compliance rules are pure: they read facts handed to them and name nothing of the
/// service but the kernel (no database, no domain, no host), so every caller gets the same
/// answer for the same facts.
#[test]
fn the_compliance_rules_import_only_the_kernel() {
    let files = sources("src/compliance");
    assert!(!files.is_empty(), "src/compliance is empty");
    for (path, text) in files {
        let code: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        for (i, _) in code.match_indices("crate::") {
            let rest = &code[i + "crate::".len()..];
            assert!(
                rest.starts_with("kernel::") || rest.starts_with("compliance::"),
                "{path} imports `crate::{}`: the compliance rules are pure functions over facts",
                rest.chars().take(30).collect::<String>()
            );
        }
        for io in ["sqlx", "PgConnection", "TenantTx", "reqwest", "tokio::"] {
            assert!(
                !code.contains(io),
                "{path} names `{io}`: the rules do no I/O"
            );
        }
    }
}

#[test]
fn the_reference_scanner_sees_what_it_must() {
    let refs = domain_references(
        "use crate::domains::fleet::repo::x; crate::domains::settings::SETTINGS_MANAGE",
    );
    assert_eq!(
        refs,
        [
            ("fleet".to_owned(), "repo".to_owned()),
            ("settings".to_owned(), "SETTINGS_MANAGE".to_owned())
        ]
    );
    assert_eq!(
        domain_of("/x/src/domains/tools/api.rs").as_deref(),
        Some("tools")
    );
    assert_eq!(domain_of("/x/src/domains/mod.rs"), None);
}

/// The host's modules form layers: leaving aside `crate::state` (the `AppState` every handler
/// and task receives, which holds one of each service), no module of `src/host` depends on
/// itself through the others. Comments and unit tests do not count.
#[test]
fn the_host_modules_have_no_cycle_but_the_state_hub() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/host");
    let mut modules: Vec<String> = std::fs::read_dir(&root)
        .expect("src/host")
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let name = name.strip_suffix(".rs").map(str::to_owned).unwrap_or(name);
            (name != "mod" && name != "state").then_some(name)
        })
        .collect();
    modules.sort();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, text) in sources("src/host") {
        let rest = path.split("src/host/").nth(1).unwrap_or("");
        let me = rest
            .split('/')
            .next()
            .unwrap_or("")
            .trim_end_matches(".rs")
            .to_owned();
        if !modules.contains(&me) {
            continue;
        }
        let code: String = text
            .split("#[cfg(test)]")
            .next()
            .unwrap_or("")
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        for (i, _) in code.match_indices("crate::") {
            let other: String = code[i + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if other != me && modules.contains(&other) {
                graph.entry(me.clone()).or_default().insert(other);
            }
        }
    }
    // Depth-first search for a back edge.
    fn visit(
        m: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if done.contains(m) {
            return;
        }
        if let Some(start) = path.iter().position(|p| p == m) {
            panic!(
                "host modules in a cycle: {} -> {m}",
                path[start..].join(" -> ")
            );
        }
        path.push(m.to_owned());
        for next in graph.get(m).into_iter().flatten() {
            visit(next, graph, path, done);
        }
        path.pop();
        done.insert(m.to_owned());
    }
    let mut done = BTreeSet::new();
    for m in &modules {
        visit(m, &graph, &mut Vec::new(), &mut done);
    }
    // The edges the domain kit broke stay broken.
    for (from, to) in [
        ("audit", "auth"),
        ("jobs", "platform"),
        ("jobs", "billing"),
        ("billing", "platform"),
        ("tenancy", "platform"),
        ("tenancy", "auth"),
        ("config", "platform"),
    ] {
        assert!(
            !graph.get(from).is_some_and(|s| s.contains(to)),
            "`{from}` imports `{to}` again"
        );
    }
}
