//! Operational domains, one folder each, and the list of their manifests.
//!
//! A domain is a plug-in: `src/domains/<name>/mod.rs` exports `MANIFEST` (route prefixes,
//! feature flags, permissions and the seeded roles that get them), its OpenAPI tags, and
//! `Apis`/`apis()` (its `#[OpenApi]` structs). Its `pub mod` line and its name in the `domains!`
//! call below are all the rest of the service needs: `api.rs` mounts [`Apis`], the tenant resolver
//! enforces [`CATALOG`]'s flags, provisioning seeds [`CATALOG`]'s roles, and the permission
//! catalogue, the flag list and the OpenAPI permission test read it. See
//! docs/adding-a-domain.md.

use crate::kernel::manifest::{Catalog, Manifest};

pub mod planned;

/// `TryFrom<String>` for poem-openapi enums, so that a repo row decodes a text column straight
/// into one with `#[sqlx(try_from = "String")]`. The text is the value's wire name (what
/// `kernel::units::wire` writes and the CHECK constraints list); any other text is a decode
/// error, never a guess.
macro_rules! text_enum {
    ($($t:ty),+ $(,)?) => {$(
        impl TryFrom<String> for $t {
            type Error = String;

            fn try_from(s: String) -> Result<Self, String> {
                <$t as poem_openapi::types::ParseFromParameter>::parse_from_parameter(&s)
                    .map_err(|_| format!("`{s}` is not a {}", stringify!($t)))
            }
        }
    )+};
}

/// `sqlx::FromRow` by column position for a row struct whose fields are listed here in the
/// order the statement selects its columns, for the hottest reads: decoding by name looks each
/// column up by name in every row (a profile of the FBO board put 1.8 ms of its 8 in it). A
/// field written `name as Type` is read as `Type` and converted with `TryFrom`. The order is
/// the contract: the statements using the struct must select exactly these columns in this
/// order (extra columns after them are allowed), which their tests hold.
macro_rules! from_row_by_position {
    ($t:ty { $($field:ident $(as $via:ty)?),+ $(,)? }) => {
        impl<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> for $t {
            fn from_row(row: &'r sqlx::postgres::PgRow) -> Result<Self, sqlx::Error> {
                use sqlx::Row as _;
                let mut index = 0usize;
                $(
                    let $field = from_row_by_position!(@get row, index $(, $via)?);
                    index += 1;
                )+
                let _ = index;
                Ok(Self { $($field),+ })
            }
        }
    };
    (@get $row:ident, $i:ident) => { $row.try_get($i)? };
    (@get $row:ident, $i:ident, $via:ty) => {
        $crate::domains::decode_via::<$via, _>($row.try_get($i)?, $i)?
    };
}

/// Column `index`, read as `V`, converted to a field's type (for [`from_row_by_position`]).
pub(crate) fn decode_via<V, T: TryFrom<V>>(raw: V, index: usize) -> Result<T, sqlx::Error>
where
    T::Error: std::fmt::Display,
{
    T::try_from(raw).map_err(|e| sqlx::Error::ColumnDecode {
        index: index.to_string(),
        source: e.to_string().into(),
    })
}

// The built domains' modules. They are declared here, not inside `domains!`, because rustfmt
// (and so `cargo fmt`) does not reach a module declared inside a macro call; a unit test below
// checks that every folder is both declared and listed.
pub mod airports;
pub mod certificates;
pub mod charter;
pub mod contacts;
pub mod fbo;
pub mod finance;
pub mod fleet;
pub mod flights;
pub mod identity;
pub mod maintenance;
pub mod scheduling;
pub mod settings;
pub mod theory;
pub mod tools;
pub mod training;

/// Lists the built domains: the nested tuple of their APIs (nested pairs, so poem-openapi's
/// 16-element tuple limit never applies) and, with the planned domains and the core's own
/// permissions, [`ALL`].
macro_rules! domains {
    ($($name:ident),+ $(,)?; planned: $($planned:path),* $(,)?) => {
        /// Every domain's APIs, for `api.rs`.
        pub type Apis = domains!(@ty $($name),+);

        pub fn apis() -> Apis {
            domains!(@val $($name),+)
        }

        /// The built domains' folder names, in the order listed.
        pub const BUILT: &[&str] = &[$(stringify!($name),)+];

        /// Every manifest: the built domains, the planned ones, and the core's.
        pub const ALL: &[&Manifest] = &[$(&$name::MANIFEST,)+ $(&$planned,)* &crate::kernel::manifest::CORE];
    };
    (@ty $head:ident $(, $tail:ident)*) => { ($head::Apis, domains!(@ty $($tail),*)) };
    (@ty) => { () };
    (@val $head:ident $(, $tail:ident)*) => { ($head::apis(), domains!(@val $($tail),*)) };
    (@val) => { () };
}

domains! {
    identity,
    settings,
    tools,
    fleet,
    maintenance,
    scheduling,
    flights,
    certificates,
    airports,
    finance,
    theory,
    training,
    contacts,
    charter,
    fbo;
    planned:
    planned::DOCUMENTS, planned::REPORTS, planned::NOTIFICATIONS,
}

/// The catalogue built from [`ALL`]; handed to the layers below the domains.
pub static CATALOG: Catalog = Catalog { manifests: ALL };

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::TenantKind;

    #[test]
    fn the_manifests_are_consistent() {
        assert_eq!(CATALOG.problems(), Vec::<String>::new());
    }

    /// Every folder under `src/domains` is a built domain in [`ALL`] (declared with `pub mod`
    /// and listed in `domains!`), and every built domain is a folder.
    #[test]
    fn every_domain_folder_is_listed() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/domains");
        let mut folders: Vec<String> = std::fs::read_dir(root)
            .expect("src/domains")
            .flatten()
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        folders.sort();
        let mut built: Vec<String> = BUILT.iter().map(|n| (*n).to_owned()).collect();
        built.sort();
        assert_eq!(folders, built);
        for (name, manifest) in BUILT.iter().zip(ALL) {
            assert_eq!(*name, manifest.name, "a manifest is named after its folder");
        }
    }

    #[test]
    fn paths_map_to_flags() {
        let f = |p| CATALOG.flag_for_path(p);
        assert_eq!(f("/api/v1/tools/notes"), Some("tools.notes"));
        assert_eq!(f("/api/v1/tools/notes/abc"), Some("tools.notes"));
        assert_eq!(f("/api/v1/tools/notesx"), None);
        assert_eq!(f("/api/v1/fleet/aircraft"), Some("fleet"));
        assert_eq!(f("/api/v1/users"), None);
        assert_eq!(f("/api/v1/settings/feature-flags"), None);
    }

    #[test]
    fn defaults_follow_kind_and_plan() {
        let d = |k, kind, plan| CATALOG.flag_default(k, kind, plan);
        assert!(!d("charter", TenantKind::FlightSchool, "trial"));
        assert!(d("charter", TenantKind::CharterOperator, "trial"));
        assert!(!d("theory", TenantKind::CharterOperator, "trial"));
        assert!(!d("fleet", TenantKind::Fbo, "trial"));
        assert!(!d("reports", TenantKind::FlightSchool, "starter"));
        assert!(d("tools.notes", TenantKind::Fbo, "starter"));
        assert!(!d("no.such.flag", TenantKind::Fbo, "trial"));
    }

    #[test]
    fn seeded_roles_follow_the_manifests() {
        let school = CATALOG.seeded_roles(TenantKind::FlightSchool);
        let names: Vec<_> = school.iter().map(|r| r.name).collect();
        assert_eq!(
            names,
            [
                "admin",
                "organization_admin",
                "instructor",
                "student",
                "staff",
                "mechanic",
                "trainer"
            ]
        );
        assert_eq!(school[0].permissions.len(), CATALOG.permissions().count());
        let mechanic = &school[5];
        assert!(mechanic.permissions.contains(&"maintenance.sign_off"));
        assert!(!mechanic.permissions.contains(&"users.manage"));
        // The trainer authors and grades (training and theory) and reads what grading needs
        // (students, their flights and bookings); it writes nothing of fleet or schedule.
        let trainer = &school[6];
        assert_eq!(
            trainer.permissions,
            [
                "users.read",
                "tools.notes.read",
                "tools.notes.write",
                "tools.tasks.read",
                "tools.tasks.write",
                "tools.attachments.read",
                "tools.attachments.write",
                "tools.events.read",
                "scheduling.read",
                "flights.read",
                "theory.read",
                "theory.manage",
                "training.read",
                "training.manage",
                "documents.read"
            ]
        );
        let fueler = CATALOG
            .seeded_roles(TenantKind::Fbo)
            .into_iter()
            .find(|r| r.name == "fueler")
            .expect("fueler");
        assert_eq!(
            fueler.permissions,
            [
                "tools.notes.read",
                "tools.notes.write",
                "tools.events.read",
                "airports.read",
                "training.read",
                "fbo.read",
                "fbo.fuel"
            ]
        );
    }
}
