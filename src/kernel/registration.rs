//! Self-registration as a tenant allows it: the settings `auth.self_registration` and
//! `auth.self_registration_role`, read by `POST /api/v1/auth/register` and checked when an
//! administrator writes them (the settings domain). One parser for both, so what is accepted
//! when written is exactly what registration understands.

use serde_json::Value;

/// The setting that switches self-registration: unset or `"off"`, `"open"`, or
/// `{"domains": ["school.example", ...]}`.
pub const SETTING: &str = "auth.self_registration";
/// The role a self-registered user gets: a role name of the tenant; unset means [`DEFAULT_ROLE`].
pub const ROLE_SETTING: &str = "auth.self_registration_role";
/// The role self-registered users get unless [`ROLE_SETTING`] names another.
pub const DEFAULT_ROLE: &str = "student";
/// At most this many domains in a domain-limited setting.
pub const MAX_DOMAINS: usize = 50;

/// Who may register themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelfRegistration {
    /// Nobody (the default).
    Off,
    /// Anyone with an address that receives the verification mail.
    Open,
    /// Addresses in these domains only (lowercase, compared case-insensitively, exactly: a
    /// subdomain is another domain).
    Domains(Vec<String>),
}

/// Whether `d` is a plausible domain name: labels of letters, digits and `-`, at least two,
/// at most 253 characters in all.
fn is_domain(d: &str) -> bool {
    (3..=253).contains(&d.len())
        && d.split('.').count() >= 2
        && d.split('.').all(|l| {
            (1..=63).contains(&l.len())
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

impl SelfRegistration {
    /// Parses the stored value; `None` (unset) is [`Off`](Self::Off). The error says what is
    /// wrong, for a `422` on the setting's `value`.
    pub fn parse(value: Option<&Value>) -> Result<Self, &'static str> {
        const SHAPE: &str = "must be \"off\", \"open\" or {\"domains\": [\"school.example\", ...]}";
        match value {
            None => Ok(Self::Off),
            Some(Value::String(s)) if s == "off" => Ok(Self::Off),
            Some(Value::String(s)) if s == "open" => Ok(Self::Open),
            Some(Value::Object(o)) if o.len() == 1 => {
                let Some(Value::Array(list)) = o.get("domains") else {
                    return Err(SHAPE);
                };
                if list.is_empty() || list.len() > MAX_DOMAINS {
                    return Err("domains must list 1 to 50 domain names");
                }
                let mut domains = Vec::with_capacity(list.len());
                for d in list {
                    match d.as_str().map(str::to_ascii_lowercase) {
                        Some(d) if is_domain(&d) => domains.push(d),
                        _ => return Err("domains must be domain names such as \"school.example\""),
                    }
                }
                domains.sort();
                domains.dedup();
                Ok(Self::Domains(domains))
            }
            Some(_) => Err(SHAPE),
        }
    }

    /// Whether an address (already checked to be one) may register.
    pub fn admits(&self, email: &str) -> bool {
        match self {
            Self::Off => false,
            Self::Open => true,
            Self::Domains(domains) => email
                .rsplit_once('@')
                .is_some_and(|(_, domain)| domains.iter().any(|d| d.eq_ignore_ascii_case(domain))),
        }
    }
}

/// Checks a value of [`ROLE_SETTING`]: a role name (1 to 100 characters), never `admin`.
pub fn parse_role(value: &Value) -> Result<&str, &'static str> {
    match value.as_str().map(str::trim) {
        Some(r) if r.eq_ignore_ascii_case(super::roles::ADMIN) => {
            Err("must not be the admin role: anyone could register as an administrator")
        }
        Some(r) if (1..=100).contains(&r.chars().count()) => Ok(r),
        _ => Err("must be the name of a role of this organisation"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_parse_and_admit() {
        let p = |v: Value| SelfRegistration::parse(Some(&v));
        assert_eq!(SelfRegistration::parse(None), Ok(SelfRegistration::Off));
        assert_eq!(p(json!("off")), Ok(SelfRegistration::Off));
        assert_eq!(p(json!("open")), Ok(SelfRegistration::Open));
        let limited = p(json!({"domains": ["School.Example", "school.example", "b.example"]}))
            .expect("domains");
        assert_eq!(
            limited,
            SelfRegistration::Domains(vec!["b.example".into(), "school.example".into()])
        );
        assert!(limited.admits("Pat@SCHOOL.example"));
        assert!(!limited.admits("pat@sub.school.example"));
        assert!(!limited.admits("pat@school.example.evil"));
        assert!(SelfRegistration::Open.admits("a@b.c"));
        assert!(!SelfRegistration::Off.admits("a@b.c"));
        for bad in [
            json!("on"),
            json!(true),
            json!({"domains": []}),
            json!({"domains": ["nodot"]}),
            json!({"domains": ["a@b.example"]}),
            json!({"domains": ["-a.example"]}),
            json!({"domains": [1]}),
            json!({"domains": ["a.example"], "extra": 1}),
            json!({"domain": ["a.example"]}),
        ] {
            assert!(p(bad.clone()).is_err(), "{bad}");
        }
        assert_eq!(parse_role(&json!(" student ")), Ok("student"));
        assert!(parse_role(&json!("Admin")).is_err());
        assert!(parse_role(&json!("")).is_err());
        assert!(parse_role(&json!(3)).is_err());
    }
}
