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

/// Whether every number inside a free-form JSON value (a setting's value, a user's preferences)
/// lies within ±1e300. PostgreSQL keeps a jsonb number as an exact decimal and prints it back
/// digit by digit; near the end of the f64 range that text no longer parses as an f64, so the
/// row could be stored and never read again. Nothing real comes near the bound.
pub fn json_numbers_fit(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Number(n) => n.as_f64().is_some_and(|f| f.abs() <= 1e300),
        serde_json::Value::Array(items) => items.iter().all(json_numbers_fit),
        serde_json::Value::Object(map) => map.values().all(json_numbers_fit),
        _ => true,
    }
}
