//! Wire and unit helpers every domain uses: meter hours stored in tenths, partial updates of
//! optional fields, the wire name of an enum value.

use poem_openapi::types::MaybeUndefined;

/// Hours (one decimal) to tenths.
pub fn tenths(hours: f64) -> i64 {
    (hours * 10.0).round() as i64
}

/// Tenths to hours.
pub fn hours(tenths: i64) -> f64 {
    tenths as f64 / 10.0
}

/// Applies a partial update of an optional field: a value sets it, `null` clears it, absent
/// leaves it.
pub fn merge<T: Clone>(field: &mut Option<T>, v: &MaybeUndefined<T>) {
    match v {
        MaybeUndefined::Value(x) => *field = Some(x.clone()),
        MaybeUndefined::Null => *field = None,
        MaybeUndefined::Undefined => {}
    }
}

/// The JSON string of a poem-openapi enum value (its wire name, which the CHECK constraints
/// list).
pub fn wire<T: poem_openapi::types::ToJSON>(v: &T) -> String {
    v.to_json()
        .and_then(|j| j.as_str().map(str::to_owned))
        .unwrap_or_default()
}
