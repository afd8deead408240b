//! The patterns the handlers check themselves, declared in the document (with the tests that
//! hold them to the document and to the rules).

/// Patterns the handlers check themselves, with their other rules, so that a request with
/// several bad fields hears of all of them at once (a `#[oai(validator(pattern))]` would refuse
/// it at parsing, before any handler rule is looked at): declared here so that the document
/// still says what is accepted. `tests/schemathesis` holds the two to each other.
pub(super) const CHECKED_PATTERNS: &[(&str, &str, &str)] = &[
    ("UserCreate", "email", EMAIL_PATTERN),
    ("OperatorCreate", "email", EMAIL_PATTERN),
    ("RegisterRequest", "email", EMAIL_PATTERN),
    ("SignupRequest", "admin_email", EMAIL_PATTERN),
    ("SignupRequest", "slug", SLUG_PATTERN),
    ("SignupRequest", "plan", PLAN_PATTERN),
    ("PlatformTenantCreate", "admin_email", EMAIL_PATTERN),
    ("PlatformTenantCreate", "slug", SLUG_PATTERN),
    ("PlatformTenantCreate", "plan", PLAN_PATTERN),
    ("PlatformTenantUpdate", "plan", PLAN_PATTERN),
    ("AircraftCreate", "currency", CURRENCY_PATTERN),
    ("AircraftUpdate", "currency", CURRENCY_PATTERN),
    ("SimulatorCreate", "currency", CURRENCY_PATTERN),
    ("SimulatorUpdate", "currency", CURRENCY_PATTERN),
    ("AircraftTypeCreate", "designator", DESIGNATOR_PATTERN),
    ("AircraftTypeUpdate", "designator", DESIGNATOR_PATTERN),
    ("OpeningDay", "opens", TIME_OF_DAY_PATTERN),
    ("OpeningDay", "closes", TIME_OF_DAY_PATTERN),
    ("AircraftCreate", "equipment", TAG_PATTERN),
    ("AircraftUpdate", "equipment", TAG_PATTERN),
    ("AircraftCreate", "registration", REGISTRATION_PATTERN),
    ("AircraftUpdate", "registration", REGISTRATION_PATTERN),
    (
        "AircraftCreate",
        "type_designator",
        UPPER_DESIGNATOR_PATTERN,
    ),
    (
        "AircraftUpdate",
        "type_designator",
        UPPER_DESIGNATOR_PATTERN,
    ),
    ("AircraftCreate", "home_base", LOCATION_PATTERN),
    ("AircraftUpdate", "home_base", LOCATION_PATTERN),
    ("LogbookEntryCreate", "registration", REGISTRATION_PATTERN),
    ("LogbookEntryUpdate", "registration", REGISTRATION_PATTERN),
    ("LogbookEntryCreate", "type_code", DESIGNATOR_PATTERN),
    ("LogbookEntryUpdate", "type_code", DESIGNATOR_PATTERN),
    ("LogbookEntryCreate", "departure", ROUTE_POINT_PATTERN),
    ("LogbookEntryUpdate", "departure", ROUTE_POINT_PATTERN),
    ("LogbookEntryCreate", "destination", ROUTE_POINT_PATTERN),
    ("LogbookEntryUpdate", "destination", ROUTE_POINT_PATTERN),
    ("LogbookEntryCreate", "stops", ROUTE_POINT_PATTERN),
    ("LogbookEntryUpdate", "stops", ROUTE_POINT_PATTERN),
    ("FlightCreate", "departure", ROUTE_POINT_PATTERN),
    ("FlightUpdate", "departure", ROUTE_POINT_PATTERN),
    ("FlightCreate", "destination", ROUTE_POINT_PATTERN),
    ("FlightUpdate", "destination", ROUTE_POINT_PATTERN),
    ("FlightCreate", "stops", ROUTE_POINT_PATTERN),
    ("FlightUpdate", "stops", ROUTE_POINT_PATTERN),
    ("Approach", "airport", UPPER_ROUTE_POINT_PATTERN),
];
const EMAIL_PATTERN: &str = crate::kernel::email::EMAIL_PATTERN;
const PLAN_PATTERN: &str = crate::kernel::plans::PLAN_PATTERN;
/// `tenancy::is_valid_slug` (reserved slugs aside).
const SLUG_PATTERN: &str = "^[a-z][a-z0-9-]{2,39}$";
/// ISO 4217 alphabetic code.
const CURRENCY_PATTERN: &str = "^[A-Z]{3}$";
/// ICAO type designator, any case (stored upper-case).
const DESIGNATOR_PATTERN: &str = "^[A-Za-z0-9]{2,4}$";
/// A registration (tail number), any case (stored upper-case).
const REGISTRATION_PATTERN: &str = "^[A-Za-z0-9][A-Za-z0-9-]{1,9}$";
/// An aircraft's own ICAO type designator.
const UPPER_DESIGNATOR_PATTERN: &str = "^[A-Z0-9]{2,4}$";
/// An ICAO or FAA location identifier.
const LOCATION_PATTERN: &str = "^[A-Z0-9]{3,4}$";
/// A point of a logged route: ICAO, IATA or local identifier, any case (stored upper-case).
const ROUTE_POINT_PATTERN: &str = "^[A-Za-z0-9]{2,7}$";
/// The airport of an approach, upper-case.
const UPPER_ROUTE_POINT_PATTERN: &str = "^[A-Z0-9]{2,7}$";
/// An aircraft's equipment tag.
const TAG_PATTERN: &str = "^[a-z0-9_]{1,40}$";
/// `HH:MM`, 00:00 to 23:59.
const TIME_OF_DAY_PATTERN: &str = "^([01][0-9]|2[0-3]):[0-5][0-9]$";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::openapi_json;

    /// A renamed DTO or property would silently drop its declared pattern.
    #[test]
    fn every_checked_pattern_is_in_the_document() {
        let spec: serde_json::Value = serde_json::from_str(&openapi_json()).expect("json");
        for (name, property, pattern) in CHECKED_PATTERNS {
            let p = spec
                .pointer(&format!("/components/schemas/{name}/properties/{property}"))
                .unwrap_or_else(|| panic!("{name}.{property} is not in the document"));
            assert!(
                p.to_string()
                    .contains(&serde_json::json!(pattern).to_string()),
                "{name}.{property}: {p}"
            );
        }
    }

    #[test]
    fn the_slug_pattern_is_the_slug_rule() {
        let re = regex::Regex::new(SLUG_PATTERN).expect("pattern");
        for s in [
            "abc",
            "a-1",
            "ab",
            "1ab",
            "Abc",
            "abc_",
            &"a".repeat(40),
            &"a".repeat(41),
        ] {
            assert_eq!(re.is_match(s), crate::tenancy::is_valid_slug(s), "{s}");
        }
    }
}
